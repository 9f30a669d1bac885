package sipgate

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// sippCase is one sipp scenario (testdata/sipp) against sipgate and a real core.
type sippCase struct {
	name, scenario, transport string
	calls                     func(*CallConfig) // adjusts testCalls
	want                      map[string]string // metric samples once the call has ended
}

// TestSippPIN drives whole calls with sipp: answer, prompt, keys by RFC 4733 (play_dtmf, pcap replay) and
// SIP INFO, the core's answer, and the BYE that ends the call. Each case has its own core and sipgate
// and runs in parallel with the others.
func TestSippPIN(t *testing.T) {
	sipp := sippPath(t)
	// startGateway's sipgate has no LiveKit to hand callers to: an admitted caller hears "service
	// unavailable" and sipgate hangs up, the end these scenarios wait for. TestSippBridged and
	// bridge_test.go cover the hand-off.
	connected := map[string]string{`sipgate_handoffs_total{result="failed"}`: "1", `sipgate_pin_attempts_total{result="ok"}`: "1"}
	cases := []sippCase{
		{name: "right PIN rtp udp", scenario: "right_pin_rtp.xml", transport: "u1", want: with(connected, `sipgate_dtmf_digits_total{method="rtp"}`, "5")},
		{name: "right PIN rtp tcp", scenario: "right_pin_rtp.xml", transport: "t1", want: connected},
		{name: "right PIN pcap", scenario: "right_pin_pcap.xml", transport: "u1", want: with(connected, `sipgate_dtmf_digits_total{method="rtp"}`, "5")},
		{name: "INFO only udp", scenario: "info_only.xml", transport: "u1", want: with(connected, `sipgate_dtmf_digits_total{method="info"}`, "5")},
		{name: "INFO only tcp", scenario: "info_only.xml", transport: "t1", want: connected},
		{name: "both methods", scenario: "both_methods.xml", transport: "u1", want: connected},
		{name: "wrong then right", scenario: "wrong_then_right.xml", transport: "u1",
			want: with(connected, `sipgate_pin_attempts_total{result="wrong"}`, "1")},
		{name: "star resets", scenario: "star_reset.xml", transport: "u1", want: connected},
		{name: "three wrong", scenario: "three_wrong.xml", transport: "u1", want: map[string]string{
			`sipgate_calls_total{outcome="wrong_pin"}`: "1", `sipgate_pin_attempts_total{result="wrong"}`: "3"}},
		{name: "silence times out", scenario: "silent.xml", transport: "u1",
			calls: func(c *CallConfig) { c.FirstDigitTimeout, c.PINAttempts = 500*time.Millisecond, 1 },
			want:  map[string]string{`sipgate_calls_total{outcome="timeout"}`: "1", `sipgate_pin_attempts_total{result="timeout"}`: "1"}},
		{name: "hang-up mid-entry", scenario: "hangup_mid_entry.xml", transport: "u1",
			want: map[string]string{`sipgate_calls_total{outcome="hangup"}`: "1", `sipgate_active_calls`: "0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cc := testCalls
			if tc.calls != nil {
				tc.calls(&cc)
			}
			srv := startGateway(t, cc)
			start := time.Now()
			runSipp(t, sipp, tc.scenario, tc.transport, srv.Addr())
			for sample, want := range tc.want {
				eventually(t, sample+" = "+want, func() bool { return srv.metric(t, sample) == want })
			}
			srv.checkOneRecord(t)
			t.Logf("call took %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestSippBridged: a sipp caller types the PIN, is bridged into the room, talks (sipp's G.711 A-law
// recording) and hangs up; the stand-in for LiveKit's SIP service received every packet and echoed it.
func TestSippBridged(t *testing.T) {
	sipp := sippPath(t)
	b := startBridge(t, bridgeCalls(), nil)
	runSipp(t, sipp, "bridged.xml", "u1", b.gw.Addr())
	b.gw.idle(t)
	calls := b.standin.Calls()
	if len(calls) != 1 || !calls[0].Ended || calls[0].Room != b.room.ID {
		t.Fatalf("stand-in calls %+v, want one ended call in the PIN's room", calls)
	}
	if in, out := calls[0].PacketsIn, calls[0].PacketsOut; in < 100 || out != in {
		t.Errorf("stand-in: %d packets in, %d echoed; want the recording's, all echoed", in, out)
	}
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="connected"}`); v != "1" {
		t.Errorf("connected calls = %s, want 1", v)
	}
	if rec := b.gw.checkOneRecord(t); rec.pin != "ok" || rec.bridgedMs < 1000 || rec.handoff != "bridge" || rec.hangupBy != "caller" {
		t.Errorf("record %+v, want a PIN ok, a bridge of the recording's length, hung up by the caller", rec)
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

func sippPath(t *testing.T) string {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp is not on PATH (%v): run `make test`, which provides it (Debian package sip-tester)", err)
	}
	return sipp
}

// runSipp runs one call of scenario to target, dialling testNumber, and fails the test unless sipp
// reports it successful. sipp's -timeout stops it after 40 s; the context kills it later still, so that a
// hung sipp fails the test rather than the whole run.
func runSipp(t *testing.T, sipp, scenario, transport, target string) {
	t.Helper()
	dir := t.TempDir()
	sf, err := filepath.Abs(filepath.Join("testdata", "sipp", scenario))
	if err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(dir, "messages.log")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp,
		"-sf", sf, "-s", testNumber, "-m", "1", "-t", transport,
		"-i", "127.0.0.1", "-p", freePort(t), "-mp", freePort(t),
		"-timeout", "40s", "-timeout_error", "-nostdin",
		"-trace_msg", "-message_file", trace,
		target,
	)
	cmd.Dir = dir // sipp drops stray files (error logs) in its working directory
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("sipp hung and was killed; output:\n%s", out)
	}
	if err != nil {
		b, _ := os.ReadFile(trace)
		var exit *exec.ExitError
		errors.As(err, &exit)
		t.Fatalf("sipp: %v; output:\n%s\nmessages:\n%s", err, out, b)
	}
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
