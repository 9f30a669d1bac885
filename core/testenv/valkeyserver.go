package testenv

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ValkeyServer starts a valkey-server of the test's own (redis-server where
// Valkey is not installed) on a free loopback port, without persistence,
// and returns its address. A test needs one when a second livekit-server
// must use Redis: psrpc talks over pub/sub channels, which Redis shares
// across databases, so two servers on one instance would answer each
// other's calls. It stops when the test ends.
func ValkeyServer(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("valkey-server")
	if err != nil {
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Fatal("testenv: no valkey-server or redis-server: run `make test`")
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t, "tcp")))
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "valkey.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if pong(addr) {
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "valkey.log"))
	t.Fatalf("testenv: valkey-server did not start:\n%s", b)
	return ""
}

// pong reports whether a Redis-protocol server answers PING at addr.
func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}
