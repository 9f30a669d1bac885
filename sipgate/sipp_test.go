package sipgate

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSippUAC is the acceptance test: sipp's built-in uac scenario (one call) against sipgate ends
// with a final response instead of hanging, over UDP and over TCP. The scenario expects 200 and counts the
// call as failed on 480, so sipp exits 1; what matters is that it exits, and that the trace holds the 480.
func TestSippUAC(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp is not on PATH (%v): run `make test`, which provides it (Debian package sip-tester)", err)
	}
	srv := startServer(t)
	for _, tt := range []struct{ name, transport string }{
		{"udp", "u1"},
		{"tcp", "t1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			trace := runSipp(t, sipp, tt.transport, srv.Addr())
			if !strings.Contains(trace, "SIP/2.0 480 Temporarily Unavailable") {
				t.Errorf("sipp never received the 480; message trace:\n%s", trace)
			}
			if !strings.Contains(trace, "ACK sip:") {
				t.Errorf("sipp did not ACK the final response; message trace:\n%s", trace)
			}
		})
	}
}

// runSipp runs one uac call to target and returns sipp's message trace. sipp's own -timeout stops it after
// 10s; the context kills it later still, so that a hung sipp fails the test rather than the whole run.
func runSipp(t *testing.T, sipp, transport, target string) string {
	t.Helper()
	dir := t.TempDir()
	trace := filepath.Join(dir, "messages.log")
	ctx, cancel := context.WithTimeout(context.Background(), 3*testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp,
		"-sn", "uac", "-m", "1", "-t", transport,
		"-i", "127.0.0.1", "-p", freePort(t), "-mp", freePort(t),
		"-timeout", "10s", "-timeout_error", "-nostdin",
		"-trace_msg", "-message_file", trace,
		target,
	)
	cmd.Dir = dir // sipp drops stray files (error logs) in its working directory
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("sipp hung and was killed after %v; output:\n%s", 3*testTimeout, out)
	}
	// Exit status 1 means "at least one call failed", which a 480 is to the uac scenario; anything else
	// (timeout, fatal error) is a failure here.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("sipp: %v; output:\n%s", err, out)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatalf("reading sipp's message trace: %v; output:\n%s", err, out)
	}
	return string(b)
}

// freePort returns a port that was free on 127.0.0.1 for both UDP and TCP a moment ago, for sipp's signalling
// and media sockets: its defaults (5060, 6000) may be taken on a shared machine.
func freePort(t *testing.T) string {
	t.Helper()
	for range 10 {
		ls, err := listenPair(context.Background(), "127.0.0.1:0")
		if err != nil {
			continue
		}
		_, port, _ := net.SplitHostPort(ls.addr())
		ls.close()
		return port
	}
	t.Fatal("no free port on 127.0.0.1")
	return ""
}
