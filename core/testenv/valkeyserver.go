package testenv

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// ValkeyServer starts a valkey-server of the test's own (see ValkeyProcess)
// and returns its address. A test needs one when a second livekit-server
// must use Redis: psrpc talks over pub/sub channels, which Redis shares
// across databases, so two servers on one instance would answer each
// other's calls.
func ValkeyServer(t testing.TB) string {
	t.Helper()
	return StartValkey(t).Addr
}

// ValkeyProcess is a valkey-server of the test's own (redis-server where
// Valkey is not installed) on a free loopback port, without persistence: a
// fault test stops it and starts it again, empty, on the same address, as a
// fail-over or a restart without persistence would leave it. It stops when
// the test ends.
type ValkeyProcess struct {
	Addr string

	t       testing.TB
	bin     string
	dir     string
	mu      sync.Mutex
	cmd     *exec.Cmd
	stopped chan struct{}
}

// StartValkey starts a ValkeyProcess and waits until it answers.
func StartValkey(t testing.TB) *ValkeyProcess {
	t.Helper()
	bin, err := exec.LookPath("valkey-server")
	if err != nil {
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Fatal("testenv: no valkey-server or redis-server: run `make test`")
		}
	}
	v := &ValkeyProcess{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t, "tcp"))), t: t, bin: bin, dir: t.TempDir()}
	v.Start()
	t.Cleanup(v.Stop)
	return v
}

// Start starts the server again after Stop, empty, and waits until it
// answers; it does nothing while the server runs.
func (v *ValkeyProcess) Start() {
	v.t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cmd != nil {
		return
	}
	_, port, _ := net.SplitHostPort(v.Addr)
	cmd := exec.Command(v.bin, "--port", port, "--bind", "127.0.0.1", "--dir", v.dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(v.dir, "valkey.log"))
	if err := cmd.Start(); err != nil {
		v.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if pong(v.Addr) {
			v.cmd, v.stopped = cmd, done
			return
		}
	}
	cmd.Process.Kill()
	<-done
	b, _ := os.ReadFile(filepath.Join(v.dir, "valkey.log"))
	v.t.Fatalf("testenv: valkey-server did not start:\n%s", b)
}

// Stop kills the server (SIGKILL: nothing is saved, clients see the
// connection drop) and waits until it is gone.
func (v *ValkeyProcess) Stop() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cmd == nil {
		return
	}
	v.cmd.Process.Kill()
	<-v.stopped
	v.cmd = nil
}

// Restart stops the server and starts it again, empty.
func (v *ValkeyProcess) Restart() {
	v.t.Helper()
	v.Stop()
	v.Start()
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

// Flush empties the server (FLUSHALL) while it runs, as an operator's
// mistake or a fail-over to an empty replica would.
func (v *ValkeyProcess) Flush() {
	v.t.Helper()
	c, err := net.DialTimeout("tcp", v.Addr, time.Second)
	if err != nil {
		v.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("FLUSHALL\r\n")); err != nil {
		v.t.Fatal(err)
	}
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "+OK\r\n" {
		v.t.Fatalf("testenv: FLUSHALL: %q %v", line, err)
	}
}
