package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresProcess is a PostgreSQL server of the test's own, on a free
// loopback port, for fault tests that stop and start it under a running
// core (the shared server is everyone's). Its data survives Stop, as a
// database's does across a restart. It stops when the test ends.
type PostgresProcess struct {
	// URL reaches its database "meetline" (empty: migrate it first).
	URL string

	t       testing.TB
	bin     string
	dir     string
	port    int
	cred    *syscall.Credential
	mu      sync.Mutex
	cmd     *exec.Cmd
	stopped chan struct{}
}

// StartPostgres creates a cluster (initdb, about a second) and starts it.
// As root it runs as the postgres user, since initdb refuses root.
func StartPostgres(t testing.TB) *PostgresProcess {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		t.Fatal("testenv: no PostgreSQL in /usr/lib/postgresql: run `make test`")
	}
	sort.Strings(bins)
	p := &PostgresProcess{t: t, bin: bins[len(bins)-1], port: freePort(t, "tcp")}
	// Not t.TempDir(): its parents are private to root, which the postgres
	// user could not cross.
	dir, err := os.MkdirTemp("", "meetline-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testenv: running as root without a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := p.command("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("testenv: initdb: %v\n%s", err, out)
	}
	p.Start()
	t.Cleanup(p.Stop)
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/", p.port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, base+"postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE meetline"); err != nil {
		t.Fatal(err)
	}
	p.URL = base + "meetline?sslmode=disable"
	return p
}

func (p *PostgresProcess) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// Start starts the server again after Stop and waits until it accepts
// connections; it does nothing while the server runs.
func (p *PostgresProcess) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	logf, err := os.OpenFile(filepath.Join(p.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := p.command("postgres", "-D", filepath.Join(p.dir, "data"), "-p", strconv.Itoa(p.port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable")
		cancel()
		if err == nil {
			c.Close(context.Background())
			p.cmd, p.stopped = cmd, done
			return
		}
	}
	cmd.Process.Kill()
	<-done
	b, _ := os.ReadFile(filepath.Join(p.dir, "postgres.log"))
	p.t.Fatalf("testenv: postgres did not start:\n%s", b)
}

// Stop shuts the server down at once (SIGQUIT, "immediate": connections
// drop as in a crash, and the next start recovers) and waits until it is
// gone.
func (p *PostgresProcess) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.stopped:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.stopped
	}
	p.cmd = nil
}
