package sipgate

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Call hygiene: the ways a call ends other than a PIN, end to end against a real core, with a sipgo
// caller (uac_test.go). Each test has its own core and sipgate and runs in parallel with the others.

// hygieneTimeout bounds each test.
const hygieneTimeout = 25 * time.Second

func hygieneContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hygieneTimeout)
	t.Cleanup(cancel)
	return ctx
}

// wantMetrics waits until every sample has its value.
func wantMetrics(t *testing.T, srv *running, samples map[string]string) {
	t.Helper()
	for sample, want := range samples {
		eventually(t, sample+" = "+want, func() bool { return srv.metric(t, sample) == want })
	}
}

// TestCallNoRTP: a caller whose phone sends no RTP at all is hung up after SIPGATE_NO_RTP_TIMEOUT.
func TestCallNoRTP(t *testing.T) {
	t.Parallel()
	ctx := hygieneContext(t)
	cc := testCalls
	cc.NoRTPTimeout, cc.FirstDigitTimeout = 1500*time.Millisecond, 10*time.Second
	srv := startGateway(t, cc)
	u := newUAC(t)
	u.call(ctx, srv.Addr())
	took := u.waitBye(8 * time.Second)
	if took < 1200*time.Millisecond {
		t.Errorf("BYE after %v, before the no-RTP timeout of %v", took, cc.NoRTPTimeout)
	}
	wantMetrics(t, srv, map[string]string{`sipgate_calls_total{outcome="no_rtp"}`: "1"})
	srv.idle(t)
}

// TestCallMaxIVRTime: a caller who sends audio and keys but never '#' is hung up at SIPGATE_MAX_IVR_TIME,
// and the no-RTP watchdog stays quiet.
func TestCallMaxIVRTime(t *testing.T) {
	t.Parallel()
	ctx := hygieneContext(t)
	cc := testCalls
	cc.MaxIVRTime, cc.NoRTPTimeout = 2*time.Second, time.Second
	cc.FirstDigitTimeout, cc.InterDigitTimeout = 10*time.Second, 10*time.Second
	srv := startGateway(t, cc)
	u := newUAC(t)
	u.call(ctx, srv.Addr())
	actx, stop := context.WithCancel(ctx)
	defer stop()
	go u.audio(actx)
	u.keys("13")
	took := u.waitBye(8 * time.Second)
	if took > 3*time.Second {
		t.Errorf("BYE %v after the keys, want about the IVR limit of %v", took, cc.MaxIVRTime)
	}
	wantMetrics(t, srv, map[string]string{
		`sipgate_calls_total{outcome="max_duration"}`: "1",
		`sipgate_calls_total{outcome="no_rtp"}`:       "0",
		`sipgate_dtmf_digits_total{method="rtp"}`:     "2",
	})
	srv.idle(t)
}

// TestCallCancelledBeforeAnswer: a CANCEL while sipgate waits for the core gets the INVITE a 487, and the
// call's slot is released: with room for one call and one RTP port, the next call gets through to the end.
func TestCallCancelledBeforeAnswer(t *testing.T) {
	t.Parallel()
	ctx := hygieneContext(t)
	fx := startCore(t)
	gated := &gatedCore{
		Core:    NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 2 * time.Second}),
		entered: make(chan struct{}, 1),
		gate:    make(chan struct{}),
	}
	cc := testCalls
	cc.MaxCalls, cc.RTPPortMin, cc.RTPPortMax = 1, 31998, 31999 // one call, one port
	srv := startServer(t, WithCore(gated), WithCallConfig(cc))

	u := newUAC(t)
	sess := u.invite(ctx, srv.Addr(), "udp")
	select {
	case <-gated.entered:
	case <-ctx.Done():
		t.Fatal("sipgate never asked the core about the number")
	}
	if got := srv.metric(t, "sipgate_active_calls"); got != "1" {
		t.Errorf("sipgate_active_calls while the core is asked = %s, want 1", got)
	}
	t0 := time.Now()
	cctx, cancel := context.WithCancel(ctx)
	cancel() // WaitAnswer sends CANCEL (after the 100 Trying) and waits for the INVITE's final response
	if err := sess.WaitAnswer(cctx, sipgo.AnswerOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitAnswer after CANCEL = %v, want context.Canceled", err)
	}
	if res := sess.InviteResponse; res == nil || res.StatusCode != sip.StatusRequestTerminated {
		t.Fatalf("INVITE's final response = %v, want 487", res)
	}
	wantMetrics(t, srv, map[string]string{`sipgate_calls_total{outcome="hangup"}`: "1"})
	srv.idle(t)
	if took := time.Since(t0); took > 2*time.Second { // sipgo's transaction ends 5 s after the 487's ACK
		t.Errorf("the cancelled call held its slot for %v", took)
	}

	close(gated.gate)
	next := newUAC(t)
	next.call(ctx, srv.Addr())
	next.keys(testPIN + "#")
	next.waitBye(10 * time.Second)
	wantMetrics(t, srv, map[string]string{admitted: "1"})
	srv.idle(t)
}

// TestCallReInvite: the caller holds (a=sendonly) and resumes; each re-INVITE gets a 200 whose SDP answer
// has the same origin and a higher version (RFC 3264 §8), the right direction, and the call goes on to the
// right PIN.
func TestCallReInvite(t *testing.T) {
	t.Parallel()
	ctx := hygieneContext(t)
	srv := startGateway(t, testCalls)
	u := newUAC(t)
	u.call(ctx, srv.Addr())
	first := u.sess.InviteResponse.Body()
	v1 := sdpVersion(t, first)

	hold := u.reinvite(ctx, u.offer("sendonly", 2))
	v2 := sdpVersion(t, hold.Body())
	if v2 <= v1 {
		t.Errorf("hold answer version %d, want more than %d", v2, v1)
	}
	if !strings.Contains(string(hold.Body()), "a=recvonly") {
		t.Errorf("hold answer is not recvonly:\n%s", hold.Body())
	}
	if origin(first) != origin(hold.Body()) {
		t.Errorf("hold answer changed the session id: %q, then %q", origin(first), origin(hold.Body()))
	}

	resume := u.reinvite(ctx, u.offer("sendrecv", 3))
	if v3 := sdpVersion(t, resume.Body()); v3 <= v2 {
		t.Errorf("resume answer version %d, want more than %d", v3, v2)
	}
	if strings.Contains(string(resume.Body()), "a=recvonly") {
		t.Errorf("resume answer is still recvonly:\n%s", resume.Body())
	}
	u.remote = rtpAddr(t, resume.Body())

	u.keys(testPIN + "#")
	u.waitBye(10 * time.Second)
	wantMetrics(t, srv, map[string]string{
		admitted: "1",
		`sipgate_sip_requests_total{method="INVITE",status="200"}`: "3",
	})
	srv.idle(t)
}

// origin is an SDP body's o= line without its version.
func origin(sdp []byte) string {
	for line := range strings.SplitSeq(string(sdp), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "o="); ok {
			if f := strings.Fields(v); len(f) == 6 {
				f[2] = "*"
				return strings.Join(f, " ")
			}
		}
	}
	return ""
}

// TestCallByeBeforeAck: a BYE that overtakes the ACK (sipgo issue #306) gets 200, ends the call as a
// hang-up and leaves nothing behind; the late ACK is ignored.
func TestCallByeBeforeAck(t *testing.T) {
	t.Parallel()
	srv := startGateway(t, testCalls)
	for i, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			ctx := hygieneContext(t)
			u := newUAC(t)
			u.invite(ctx, srv.Addr(), tp)
			u.answered(ctx)
			if code := u.bye(ctx); code != sip.StatusOK {
				t.Fatalf("BYE before the ACK: %d, want 200", code)
			}
			wantMetrics(t, srv, map[string]string{`sipgate_calls_total{outcome="hangup"}`: strconv.Itoa(i + 1)})
			srv.idle(t)
			if err := u.sess.Ack(ctx); err != nil {
				t.Fatalf("late ACK: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
			srv.idle(t)
			if got := srv.metric(t, admitted); got != "0" {
				t.Errorf("connected = %s after a BYE before the ACK", got)
			}
		})
	}
}

// TestShutdownDrainsLiveCall: Shutdown while a call is in the IVR refuses new INVITEs with 503 and
// Retry-After, lets the live call finish its PIN entry (connected), and returns once it has ended.
func TestShutdownDrainsLiveCall(t *testing.T) {
	t.Parallel()
	ctx := hygieneContext(t)
	srv := startGateway(t, testCalls, WithRetryAfter(11*time.Second))
	u := newUAC(t)
	u.call(ctx, srv.Addr())

	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(ctx) }()
	eventually(t, "draining", srv.Draining)

	res := do(t, newClient(t), inviteTo(t, srv.Addr(), "udp", testNumber, testSDP))
	if res.StatusCode != sip.StatusServiceUnavailable || header(res, "Retry-After") != "11" {
		t.Errorf("INVITE while draining: %d, Retry-After %q; want 503, 11", res.StatusCode, header(res, "Retry-After"))
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a call was in the IVR", err)
	default:
	}

	u.keys(testPIN + "#")
	u.waitBye(10 * time.Second)
	select {
	case err := <-shutdown:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Shutdown did not return after the last call ended")
	}
	if err := srv.wait(t); err != nil {
		t.Fatalf("ListenAndServe after Shutdown: %v", err)
	}
	wantMetrics(t, srv, map[string]string{
		admitted: "1",
		`sipgate_calls_total{outcome="rejected_503"}`: "1",
		`sipgate_active_calls`:                        "0",
	})
}
