package sipgate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/core"
)

// Session timers (RFC 4028) and UPDATE (RFC 3311) on the caller's dialog: negotiation and timing as
// functions, then end to end against a real core with the sipgo caller of uac_test.go.

// timerHeaders are the header fields of a caller that does session timers and asks for se (RFC 4028 §7.1).
func timerHeaders(se string) []sip.Header {
	return []sip.Header{sip.NewHeader("Session-Expires", se), sip.NewHeader("Supported", "timer")}
}

func TestNegotiateTimer(t *testing.T) {
	tests := []struct {
		name    string
		headers []string // name, value, ...
		current time.Duration
		refused bool
		se      string // Session-Expires of the 2xx, "" for none
		require bool
	}{
		{name: "no session timer"},
		{name: "the caller refreshes", headers: []string{"Session-Expires", "1800", "Supported", "100rel, timer"},
			se: "1800;refresher=uac", require: true},
		{name: "the caller names itself", headers: []string{"Session-Expires", "1800;refresher=uac", "Supported", "timer"},
			se: "1800;refresher=uac", require: true},
		{name: "the caller asks sipgate", headers: []string{"Session-Expires", "1800;refresher=uas", "Supported", "timer"},
			se: "1800;refresher=uas", require: true},
		{name: "compact forms", headers: []string{"x", "600 ; refresher=UAS", "k", "timer"},
			se: "600;refresher=uas", require: true},
		{name: "a proxy asked, the caller cannot refresh", headers: []string{"Session-Expires", "1800;refresher=uac"},
			se: "1800;refresher=uas"},
		{name: "at the minimum", headers: []string{"Session-Expires", "90", "Supported", "timer"},
			se: "90;refresher=uac", require: true},
		{name: "under the minimum", headers: []string{"Session-Expires", "89", "Supported", "timer"}, refused: true},
		{name: "zero", headers: []string{"Session-Expires", "0"}, refused: true},
		{name: "a refresh without Session-Expires keeps the interval", headers: []string{"Supported", "timer"},
			current: 1800 * time.Second, se: "1800;refresher=uac", require: true},
		{name: "malformed", headers: []string{"Session-Expires", "soon", "Supported", "timer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "127.0.0.1"})
			for i := 0; i < len(tt.headers); i += 2 {
				req.AppendHeader(sip.NewHeader(tt.headers[i], tt.headers[i+1]))
			}
			p, ok := negotiateTimer(req, tt.current, 90*time.Second)
			if ok == tt.refused {
				t.Fatalf("accepted = %v, want %v", ok, !tt.refused)
			}
			var se, require string
			for _, h := range p.headers() {
				switch h.Name() {
				case "Session-Expires":
					se = h.Value()
				case "Require":
					require = h.Value()
				}
			}
			if se != tt.se || (require == "timer") != tt.require {
				t.Errorf("Session-Expires %q, Require %q; want %q, Require timer %v", se, require, tt.se, tt.require)
			}
		})
	}
}

func TestSessionTimerDue(t *testing.T) {
	tests := []struct {
		interval time.Duration
		refresh  bool
		before   time.Duration // how long before the expiry the timer goes off
	}{
		{1800 * time.Second, false, 32 * time.Second},
		{90 * time.Second, false, 30 * time.Second},
		{3 * time.Second, false, time.Second},
		{1800 * time.Second, true, 900 * time.Second},
		{2 * time.Second, true, time.Second},
	}
	expires := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		timer := sessionTimer{p: sessionParams{interval: tt.interval, refresh: tt.refresh}, expires: expires}
		if got := expires.Sub(timer.due()); got != tt.before {
			t.Errorf("interval %v, sipgate refreshes %v: due %v before the expiry, want %v", tt.interval, tt.refresh, got, tt.before)
		}
	}
}

// TestUpdateOutsideDialog: OPTIONS advertises UPDATE and session timers, and an UPDATE that matches no
// dialog gets 481.
func TestUpdateOutsideDialog(t *testing.T) {
	srv := startServer(t)
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := newClient(t)
			res := do(t, c, newRequest(t, sip.OPTIONS, srv.Addr(), tp))
			allow := strings.Split(strings.ReplaceAll(header(res, "Allow"), " ", ""), ",")
			if !slices.Contains(allow, "UPDATE") || header(res, "Supported") != "timer" {
				t.Errorf("OPTIONS: Allow %q, Supported %q; want UPDATE allowed and timer supported",
					header(res, "Allow"), header(res, "Supported"))
			}
			if res := do(t, c, newRequest(t, sip.UPDATE, srv.Addr(), tp)); res.StatusCode != sip.StatusCallTransactionDoesNotExists {
				t.Errorf("UPDATE outside a dialog: %d, want 481", res.StatusCode)
			}
		})
	}
}

// TestUpdate: within a call, an UPDATE without SDP (a session refresh) gets a bare 200, one with an offer
// is negotiated like a re-INVITE's (same origin, higher version, direction), and one without a codec
// sipgate takes gets 488 and changes nothing.
func TestUpdate(t *testing.T) {
	ctx := hygieneContext(t)
	srv := startGateway(t, testCalls)
	u := newUAC(t)
	u.call(ctx, srv.Addr())
	first := u.sess.InviteResponse.Body()
	tests := []struct {
		name   string
		offer  []byte
		status int
		hold   bool
	}{
		{"session refresh", nil, sip.StatusOK, false},
		{"offer to hold", u.offer("sendonly", 2), sip.StatusOK, true},
		{"offer without PCMU or PCMA", []byte(g729SDP), sip.StatusNotAcceptableHere, false},
		{"offer to resume", u.offer("sendrecv", 3), sip.StatusOK, false},
	}
	last := sdpVersion(t, first)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := u.update(ctx, tt.offer)
			if res.StatusCode != tt.status {
				t.Fatalf("UPDATE: %d, want %d", res.StatusCode, tt.status)
			}
			switch {
			case tt.status != sip.StatusOK:
			case tt.offer == nil:
				if len(res.Body()) != 0 || res.Contact() == nil {
					t.Errorf("refresh answered with a body (%q) or without Contact", res.Body())
				}
			default:
				v := sdpVersion(t, res.Body())
				if v <= last || origin(res.Body()) != origin(first) {
					t.Errorf("answer origin %q version %d, want %q above %d", origin(res.Body()), v, origin(first), last)
				}
				if hold := strings.Contains(string(res.Body()), "a=recvonly"); hold != tt.hold {
					t.Errorf("answer recvonly = %v, want %v:\n%s", hold, tt.hold, res.Body())
				}
				last = v
			}
		})
	}
	if code := u.bye(ctx); code != sip.StatusOK {
		t.Fatalf("BYE: %d", code)
	}
	wantMetrics(t, srv, map[string]string{
		`sipgate_sip_requests_total{method="UPDATE",status="200"}`: "3",
		`sipgate_sip_requests_total{method="UPDATE",status="488"}`: "1",
		`sipgate_calls_total{outcome="hangup"}`:                    "1",
	})
	srv.idle(t)
}

// TestInviteSessionTimer: the 200 grants the session timer the INVITE asks for (RFC 4028 §9), with the
// refresher the table of §9 names and Require: timer for a caller that supports timers; too short an
// interval gets 422 with Min-SE before the core is asked.
func TestInviteSessionTimer(t *testing.T) {
	srv := startGateway(t, testCalls)
	tests := []struct {
		name        string
		headers     []sip.Header
		status      int
		se, require string
		minSE       string
		supported   bool // Supported: timer in the answer
	}{
		{"Session-Expires 1800", timerHeaders("1800"), sip.StatusOK, "1800;refresher=uac", "timer", "", true},
		{"refresher=uas", timerHeaders("1800;refresher=uas"), sip.StatusOK, "1800;refresher=uas", "timer", "", true},
		{"asked by a proxy", []sip.Header{sip.NewHeader("Session-Expires", "1800")}, sip.StatusOK, "1800;refresher=uas", "", "", true},
		{"no session timer", nil, sip.StatusOK, "", "", "", true},
		{"Session-Expires 30", timerHeaders("30"), statusIntervalTooSmall, "", "", "90", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := hygieneContext(t)
			u := newUAC(t)
			u.invite(ctx, srv.Addr(), "udp", tt.headers...)
			err := u.sess.WaitAnswer(ctx, sipgo.AnswerOptions{})
			res := u.sess.InviteResponse
			if res == nil || res.StatusCode != tt.status {
				t.Fatalf("INVITE: %v (%v), want %d", res, err, tt.status)
			}
			got := [3]string{header(res, "Session-Expires"), header(res, "Require"), header(res, "Min-SE")}
			if want := [3]string{tt.se, tt.require, tt.minSE}; got != want {
				t.Errorf("Session-Expires, Require, Min-SE = %q, want %q", got, want)
			}
			if supported := header(res, "Supported") == "timer"; supported != tt.supported {
				t.Errorf("Supported %q, want timer %v", header(res, "Supported"), tt.supported)
			}
			if tt.status != sip.StatusOK {
				return
			}
			if !strings.Contains(header(res, "Allow"), "UPDATE") {
				t.Errorf("Allow %q lacks UPDATE", header(res, "Allow"))
			}
			if err := u.sess.Ack(ctx); err != nil {
				t.Fatalf("ACK: %v", err)
			}
			if code := u.bye(ctx); code != sip.StatusOK {
				t.Fatalf("BYE: %d", code)
			}
		})
	}
	wantMetrics(t, srv, map[string]string{
		`sipgate_calls_total{outcome="rejected_422"}`: "1",
		`sipgate_calls_total{outcome="hangup"}`:       "4",
	})
	srv.idle(t)
}

// timerCalls is the call policy of the session-timer tests: intervals of seconds, and no PIN prompt
// repeated meanwhile.
func timerCalls() CallConfig {
	cc := testCalls
	cc.MinSE, cc.FirstDigitTimeout = time.Second, 10*time.Second
	return cc
}

// TestSessionExpires: a caller that asked for a 2 s session and never refreshes it is hung up before it
// expires, by the smaller of 32 s and a third of the interval (RFC 4028 §10).
func TestSessionExpires(t *testing.T) {
	t.Parallel()
	ctx := hygieneContext(t)
	srv := startGateway(t, timerCalls())
	u := newUAC(t)
	u.invite(ctx, srv.Addr(), "udp", timerHeaders("2")...)
	u.answered(ctx)
	if err := u.sess.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	if took := u.waitBye(5 * time.Second); took < time.Second || took > 3*time.Second {
		t.Errorf("BYE %v after the ACK, want about 1.3 s", took)
	}
	wantMetrics(t, srv, map[string]string{`sipgate_calls_total{outcome="session_expired"}`: "1"})
	srv.idle(t)
}

// TestSessionRefreshesKeepTheCall: a caller that refreshes its 3 s session every second, by UPDATE or by
// re-INVITE, is still in the call after four seconds, and each 200 repeats the session timer.
func TestSessionRefreshesKeepTheCall(t *testing.T) {
	t.Parallel()
	srv := startGateway(t, timerCalls())
	t.Run("refreshes", func(t *testing.T) {
		for _, method := range []sip.RequestMethod{sip.UPDATE, sip.INVITE} {
			t.Run(string(method), func(t *testing.T) {
				t.Parallel()
				ctx := hygieneContext(t)
				u := newUAC(t)
				u.invite(ctx, srv.Addr(), "udp", timerHeaders("3")...)
				u.answered(ctx)
				if err := u.sess.Ack(ctx); err != nil {
					t.Fatalf("ACK: %v", err)
				}
				for range 4 {
					time.Sleep(time.Second)
					var res *sip.Response
					if method == sip.UPDATE {
						res = u.update(ctx, nil, timerHeaders("3")...)
					} else {
						res = u.reinvite(ctx, u.offer("sendrecv", 1), timerHeaders("3")...)
					}
					if res.StatusCode != sip.StatusOK || header(res, "Session-Expires") != "3;refresher=uac" ||
						header(res, "Require") != "timer" {
						t.Fatalf("refresh: %d, Session-Expires %q, Require %q; want 200, 3;refresher=uac, timer",
							res.StatusCode, header(res, "Session-Expires"), header(res, "Require"))
					}
				}
				select {
				case <-u.byes:
					t.Fatal("sipgate hung up a refreshed call")
				default:
				}
				if code := u.bye(ctx); code != sip.StatusOK {
					t.Fatalf("BYE: %d", code)
				}
			})
		}
	})
	wantMetrics(t, srv, map[string]string{
		`sipgate_calls_total{outcome="hangup"}`:          "2",
		`sipgate_calls_total{outcome="session_expired"}`: "0",
	})
	srv.idle(t)
}

// TestSipgateRefreshes: a caller that asks sipgate to refresh (refresher=uas) gets a refresh every half
// interval: an UPDATE without SDP when its INVITE allows UPDATE, else a re-INVITE offering the last SDP. Each
// names sipgate, the UAC of the refresh, the refresher, and the call outlives the interval.
func TestSipgateRefreshes(t *testing.T) {
	t.Parallel()
	srv := startGateway(t, timerCalls())
	tests := []struct {
		name    string
		headers []sip.Header
		method  sip.RequestMethod
	}{
		{"UPDATE allowed", []sip.Header{sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, UPDATE")}, sip.UPDATE},
		{"UPDATE not allowed", nil, sip.INVITE},
	}
	t.Run("refreshes", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				ctx := hygieneContext(t)
				u := newUAC(t)
				u.invite(ctx, srv.Addr(), "udp", append(timerHeaders("2;refresher=uas"), tt.headers...)...)
				u.answered(ctx)
				if se := header(u.sess.InviteResponse, "Session-Expires"); se != "2;refresher=uas" {
					t.Errorf("200: Session-Expires %q, want 2;refresher=uas", se)
				}
				if err := u.sess.Ack(ctx); err != nil {
					t.Fatalf("ACK: %v", err)
				}
				start := time.Now()
				for range 3 {
					select {
					case req := <-u.refreshes:
						se := req.GetHeader("Session-Expires")
						if req.Method != tt.method || se == nil || se.Value() != "2;refresher=uac" {
							t.Errorf("refresh %s with Session-Expires %v, want %s with 2;refresher=uac", req.Method, se, tt.method)
						}
						if offer := len(req.Body()) > 0; offer != (tt.method == sip.INVITE) {
							t.Errorf("%s carries an offer: %v", req.Method, offer)
						}
					case <-u.byes:
						t.Fatal("sipgate hung up instead of refreshing")
					case <-time.After(3 * time.Second):
						t.Fatal("no refresh from sipgate")
					}
				}
				if took := time.Since(start); took < 2*time.Second {
					t.Errorf("three refreshes within %v, want one a second", took)
				}
				if code := u.bye(ctx); code != sip.StatusOK {
					t.Fatalf("BYE: %d", code)
				}
			})
		}
	})
	wantMetrics(t, srv, map[string]string{
		`sipgate_calls_total{outcome="hangup"}`:          "2",
		`sipgate_calls_total{outcome="session_expired"}`: "0",
	})
	srv.idle(t)
}

// TestSessionExpiresWhileBridged: the session timer ends a bridged call too: the caller refreshes until it
// is in the room, then stops, and sipgate hangs up both legs and counts the call as session_expired.
func TestSessionExpiresWhileBridged(t *testing.T) {
	cc := bridgeCalls()
	cc.MinSE = time.Second
	b := startBridge(t, cc, nil)
	room := b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	ctx := hygieneContext(t)
	u := dialIn(t, b.gw, "1357", timerHeaders("4")...)
	for b.gw.metric(t, "sipgate_bridged_calls") != "1" {
		if res := u.update(ctx, nil, timerHeaders("4")...); res.StatusCode != sip.StatusOK {
			t.Fatalf("refresh: %d", res.StatusCode)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			t.Fatal("the call was never bridged")
		}
	}
	u.waitBye(6 * time.Second)
	eventually(t, "the LiveKit leg ended", func() bool { return len(b.sipParticipants(t, room.ID)) == 0 })
	b.gw.idle(t)
	wantMetrics(t, b.gw, map[string]string{
		`sipgate_calls_total{outcome="session_expired"}`: "1",
		`sipgate_handoffs_total{result="bridged"}`:       "1",
	})
}
