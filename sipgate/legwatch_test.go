package sipgate

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// admitCore is fakeCore that opens a room for every PIN and admits the caller at once.
type admitCore struct{ fakeCore }

func (admitCore) ResolvePin(context.Context, string, string, PINCaller) (Room, error) {
	return Room{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", LiveKitRoom: "lk-room"}, nil
}

func (admitCore) JoinRoom(_ context.Context, _ JoinRequest, on func(Admission)) error {
	on(Admission{Status: Admitted, LiveKitRoom: "lk-room", Role: "guest"})
	return nil
}

// startDeadLiveKit is a LiveKit SIP service that answers every call, then sends no RTP and no BYE: an
// instance that died once the call was up.
func startDeadLiveKit(t *testing.T) string {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rtp, err := net.ListenPacket("udp", "127.0.0.1:0") // takes the caller's audio, sends nothing back
	if err != nil {
		t.Fatal(err)
	}
	local := netip.MustParseAddrPort(rtp.LocalAddr().String())
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		ans, err := media.Negotiate(req.Body(), local)
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil))
			return
		}
		res := sip.NewSDPResponseFromRequest(req, ans.SDP)
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: pc.LocalAddr().(*net.UDPAddr).Port}})
		_ = tx.Respond(res)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {}) // dead: answers nothing
	go func() { _ = srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); rtp.Close(); ua.Close() })
	return pc.LocalAddr().String()
}

// TestSilentLiveKitLegEndsTheCall: a bridged caller whose LiveKit leg falls silent (LiveKit's SIP service
// died without a BYE) hears "unavailable" and gets a BYE with a Reason after NoRTPTimeout, instead of
// staying connected to nothing.
func TestSilentLiveKitLegEndsTheCall(t *testing.T) {
	cc := testCalls
	cc.NoRTPTimeout = 3 * time.Second // short, yet long enough for a loaded machine's pauses in the caller's audio
	gw := startServer(t, WithCore(admitCore{}), WithCallConfig(cc),
		WithLiveKit(LiveKitConfig{Addr: startDeadLiveKit(t), SetupTimeout: 5 * time.Second}))
	u := newUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u.invite(ctx, gw.Addr(), "udp")
	u.answered(ctx)
	if err := u.sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	go u.audio(ctx) // the caller keeps talking: only LiveKit's side is silent
	u.keys("1234#")
	gw.bridged(t, 1)
	spoken := u.spoken.Load()
	u.waitBye(time.Minute) // generous: the machine may be loaded; the test asserts what happens, not how fast
	var reason string
	if r := u.byeReason.Load(); r != nil {
		reason = *r
	}
	if !strings.Contains(reason, "cause=41") || !strings.Contains(reason, "livekit_error") {
		t.Errorf("BYE Reason %q, want a temporary failure naming livekit_error", reason)
	}
	if u.spoken.Load() == spoken {
		t.Error("the caller heard nothing before the BYE, want \"unavailable\"")
	}
	gw.idle(t)
	if v := gw.metric(t, `sipgate_calls_total{outcome="livekit_error"}`); v != "1" {
		t.Errorf("livekit_error calls = %s, want 1", v)
	}
}
