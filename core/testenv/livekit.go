package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core/livekit"
)

// LiveKitServer starts a livekit-server of the test's own, in development
// mode on loopback, that posts its webhooks to webhookURL, and returns its
// configuration. It runs without Redis, as a single node: the shared server
// (with Valkey, for the SIP APIs) cannot send webhooks to a test's own core.
// It stops when the test ends.
func LiveKitServer(t testing.TB, webhookURL string) livekit.Config {
	t.Helper()
	return startLiveKit(t, webhookURL, "")
}

// LiveKitSIPServer is LiveKitServer with the Redis at redisAddr (a
// ValkeyServer of the test's own), which LiveKit's SIP APIs and their
// psrpc calls need.
func LiveKitSIPServer(t testing.TB, webhookURL, redisAddr string) livekit.Config {
	t.Helper()
	return startLiveKit(t, webhookURL, redisAddr)
}

func startLiveKit(t testing.TB, webhookURL, redisAddr string) livekit.Config {
	t.Helper()
	bin := filepath.Join(Getenv(t, "MEETLINE_TOOLS"), "bin", "livekit-server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("testenv: %v: run `make test`", err)
	}
	port, rtcPort := freePort(t, "tcp"), freePort(t, "udp")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`port: %d
rtc:
  tcp_port: 0
  udp_port: %d
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  interfaces:
    includes: [lo]
room:
  enable_remote_unmute: true
webhook:
  api_key: devkey
  urls: [%q]
`, port, rtcPort, webhookURL)
	if redisAddr != "" {
		cfg += fmt.Sprintf("redis:\n  address: %s\n", redisAddr)
	}
	if err := os.WriteFile(filepath.Join(dir, "livekit.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "livekit.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--dev", "--bind", "127.0.0.1", "--config", filepath.Join(dir, "livekit.yaml"))
	cmd.Stdout, cmd.Stderr = log, log
	// livekit-server reads LIVEKIT_* variables as flags (LIVEKIT_PORT…); the
	// shell's, meant for the shared server, must not reach this one.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIVEKIT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("livekit-server log:\n%s", b)
		}
	})
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			return livekit.Config{URL: url, APIKey: "devkey", APISecret: "secret"}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("testenv: livekit-server did not start")
	return livekit.Config{}
}

// freePort returns a port that was free on loopback a moment ago.
func freePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
