package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// nginxBin is where Debian's nginx package installs the server.
const nginxBin = "/usr/sbin/nginx"

// Nginx runs Debian's nginx in the foreground with conf (location and other
// server-level directives) inside a server on a free loopback port, and
// returns that server's URL. nginx stops when the test ends.
func Nginx(t testing.TB, conf string) string {
	t.Helper()
	if _, err := os.Stat(nginxBin); err != nil {
		t.Fatalf("testenv: %s not found: this test needs Debian's nginx; run `make test` "+
			"(deploy/local/install.sh installs it)", nginxBin)
	}
	dir := t.TempDir()
	port := freePort(t, "tcp")
	user := ""
	if os.Geteuid() == 0 {
		// Workers would otherwise run as nobody and could not use dir.
		user = "user root;\n"
	}
	full := fmt.Sprintf(`%sdaemon off;
master_process on;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log info;
events {}
http {
	access_log %[2]s/access.log;
	client_body_temp_path %[2]s/client_body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	server {
		listen 127.0.0.1:%[3]d;
%[4]s
	}
}
`, user, dir, port, conf)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return string(b)
	}
	if out, err := exec.Command(nginxBin, "-t", "-q", "-c", file, "-p", dir, "-e", filepath.Join(dir, "error.log")).CombinedOutput(); err != nil {
		t.Fatalf("testenv: nginx -t: %v\n%s%s", err, out, logs())
	}
	cmd := exec.Command(nginxBin, "-c", file, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start nginx: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) // graceful: workers finish, then exit
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("nginx error log:\n%s", logs())
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("testenv: nginx exited\n%s", logs())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return "http://" + addr
		}
	}
	t.Fatalf("testenv: nginx did not listen on %s\n%s", addr, logs())
	return ""
}
