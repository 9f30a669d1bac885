package sipgate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// fakeCore knows testNumber only; it never accepts a PIN.
type fakeCore struct{}

func (fakeCore) LookupNumber(_ context.Context, called string) (Trunk, error) {
	if called != testNumber {
		return Trunk{}, ErrUnknownNumber
	}
	return Trunk{E164: testNumber, Language: "fr-fr"}, nil
}

func (fakeCore) ResolvePin(context.Context, string, string, PINCaller) (Room, error) {
	return Room{}, ErrWrongPIN
}

func (fakeCore) JoinRoom(context.Context, JoinRequest, func(Admission)) error {
	return errors.New("fakeCore: no room to join")
}

func (fakeCore) ReportHandoffFailure(context.Context, HandoffFailure) error { return nil }

func (fakeCore) PhoneCommand(context.Context, string, string, KeypadCommand) (PhoneState, error) {
	return PhoneState{}, errors.New("fakeCore: nobody is in a meeting")
}

func (fakeCore) OpenTransfer(context.Context, string, string, string) (Transfer, error) {
	return Transfer{}, errors.New("fakeCore: REFER is off")
}

func (fakeCore) CloseTransfer(context.Context, string) error { return nil }

// WatchCall watches until the call ends: no host acts.
func (fakeCore) WatchCall(ctx context.Context, _ string, _ func(HostAction)) error {
	<-ctx.Done()
	return context.Cause(ctx)
}

// inviteTo builds an INVITE for user with body as application/sdp (none when empty).
func inviteTo(t *testing.T, addr, transport, user, body string) *sip.Request {
	t.Helper()
	var uri sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%s@%s;transport=%s", user, addr, transport), &uri); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.INVITE, uri)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "test", Host: "127.0.0.1", Port: 5999}})
	if body != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody([]byte(body))
	}
	return req
}

const g729SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 6000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"

func TestInviteRejections(t *testing.T) {
	srv := startServer(t, WithCore(fakeCore{}), WithCallConfig(CallConfig{MaxCalls: 5}))
	tests := []struct {
		name, user, body string
		want             int
		header, contains string
	}{
		{"unknown number", "+33999999999", testSDP, sip.StatusNotFound, "", ""},
		{"G.729 only", testNumber, g729SDP, sip.StatusNotAcceptableHere, "Warning", "305"},
		{"no SDP", testNumber, "", sip.StatusNotAcceptableHere, "Accept", "application/sdp"},
		{"garbage SDP", testNumber, "this is not SDP\r\n", sip.StatusBadRequest, "", ""},
	}
	for _, tp := range transports {
		client := newClient(t)
		for _, tt := range tests {
			t.Run(tp+"/"+tt.name, func(t *testing.T) {
				res := do(t, client, inviteTo(t, srv.Addr(), tp, tt.user, tt.body))
				if res.StatusCode != tt.want {
					t.Fatalf("status = %d %s, want %d", res.StatusCode, res.Reason, tt.want)
				}
				if tt.header != "" && !strings.Contains(header(res, tt.header), tt.contains) {
					t.Errorf("%s = %q, want it to contain %q", tt.header, header(res, tt.header), tt.contains)
				}
			})
		}
	}
	for sample, want := range map[string]string{
		`sipgate_calls_total{outcome="rejected_404"}`: "2",
		`sipgate_calls_total{outcome="rejected_488"}`: "4",
		`sipgate_calls_total{outcome="rejected_400"}`: "2",
		`sipgate_active_calls`:                        "0",
	} {
		if got := srv.metric(t, sample); got != want {
			t.Errorf("%s = %s, want %s", sample, got, want)
		}
	}
}

func TestInviteAtCallLimit(t *testing.T) {
	srv := startServer(t, WithCore(fakeCore{}), WithCallConfig(CallConfig{MaxCalls: 1}), WithRetryAfter(9e9))
	if !srv.calls.reserve() { // the one call allowed
		t.Fatal("reserve failed")
	}
	defer srv.calls.release()
	res := do(t, newClient(t), inviteTo(t, srv.Addr(), "udp", testNumber, testSDP))
	if res.StatusCode != sip.StatusServiceUnavailable || header(res, "Retry-After") != "9" {
		t.Fatalf("INVITE at the limit: %d, Retry-After %q; want 503, 9", res.StatusCode, header(res, "Retry-After"))
	}
}

func TestInviteWhileDraining(t *testing.T) {
	srv := startServer(t, WithCore(fakeCore{}))
	srv.Drain()
	res := do(t, newClient(t), inviteTo(t, srv.Addr(), "tcp", testNumber, testSDP))
	if res.StatusCode != sip.StatusServiceUnavailable || header(res, "Retry-After") == "" {
		t.Fatalf("INVITE while draining: %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, header(res, "Retry-After"))
	}
}

func TestInviteCoreDown(t *testing.T) {
	down := NewCoreClient(CoreConfig{URL: "http://127.0.0.1:1", Token: "tok"})
	srv := startServer(t, WithCore(down))
	res := do(t, newClient(t), inviteTo(t, srv.Addr(), "udp", testNumber, testSDP))
	if res.StatusCode != sip.StatusServiceUnavailable || header(res, "Retry-After") == "" {
		t.Fatalf("INVITE with the core down: %d; want 503 with Retry-After", res.StatusCode)
	}
}

func TestInfoOutsideDialog(t *testing.T) {
	srv := startServer(t, WithCore(fakeCore{}))
	for _, tp := range transports {
		req := newRequest(t, sip.INFO, srv.Addr(), tp)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
		req.SetBody([]byte("Signal=5\r\nDuration=160\r\n"))
		if res := do(t, newClient(t), req); res.StatusCode != sip.StatusCallTransactionDoesNotExists {
			t.Errorf("INFO over %s outside a dialog: %d, want 481", tp, res.StatusCode)
		}
	}
}
