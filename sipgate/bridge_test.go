package sipgate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	vk "github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/internal/standin"
	"github.com/meetline/meetline/internal/standin/lkbus"
	"github.com/meetline/meetline/sipgate/media"
)

// bridgeStack is the whole chain of a phone call into a meeting, every part real but LiveKit's SIP
// service: a livekit-server of the test's own (with a Valkey of its own, for the SIP APIs, and its
// webhooks going to the test's core), the core, LiveKit's SIP routing as the core provisions it, the
// stand-in for LiveKit's SIP service, and sipgate.
type bridgeStack struct {
	*coreFixture
	gw      *running
	standin *standin.Server
	lk      livekit.Config
	rooms   *lksdk.RoomServiceClient
}

const (
	bridgeSIPUser     = "sipgate"
	bridgeSIPPassword = "bridge-test-password"
)

// bridgeConfig is what startBridge provisions and how the stand-in behaves.
type bridgeConfig struct {
	routing livekit.SIPRouting
	standin []standin.Option
}

type bridgeOption func(*bridgeConfig)

// withSlowLiveKit makes LiveKit's SIP service ring for d before it answers.
func withSlowLiveKit(d time.Duration) bridgeOption {
	return func(c *bridgeConfig) { c.standin = append(c.standin, standin.WithAnswerDelay(d)) }
}

func startBridge(t testing.TB, cc CallConfig, lkOverride func(*LiveKitConfig), opts ...bridgeOption) *bridgeStack {
	t.Helper()
	log := testLogger(t)
	redis := testenv.ValkeyServer(t)
	var h handlerVar
	url := testenv.Serve(t, nil, &h) // as the core serves: sipgate's client speaks h2c
	lkcfg := testenv.LiveKitSIPServer(t, url+"/webhooks/livekit", redis)
	fx := serveCore(t, url, &h, lkcfg)
	bc := bridgeConfig{routing: livekit.SIPRouting{
		TrunkName: "meetline-sipgate", AllowedAddresses: []string{"127.0.0.1"},
		AuthUsername: bridgeSIPUser, AuthPassword: bridgeSIPPassword,
	}}
	for _, o := range opts {
		o(&bc)
	}
	if _, _, err := livekit.New(lkcfg).EnsureSIPRouting(context.Background(), bc.routing); err != nil {
		t.Fatalf("EnsureSIPRouting: %v", err)
	}
	vc, err := vk.NewClient(vk.ClientOption{InitAddress: []string{redis}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	io, err := lkbus.NewIOInfoClient(vc)
	if err != nil {
		t.Fatal(err)
	}
	lo := uint16(43000 + 2*rand.IntN(3000))
	ports, err := media.NewPortRange(netip.MustParseAddr("127.0.0.1"), lo, lo+600)
	if err != nil {
		t.Fatal(err)
	}
	sin, err := standin.New(io, standin.LiveKit{URL: lkcfg.URL, APIKey: lkcfg.APIKey, APISecret: lkcfg.APISecret},
		append([]standin.Option{standin.WithAddr("127.0.0.1:0"), standin.WithRTPPorts(ports), standin.WithLogger(discard)}, bc.standin...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := sin.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sin.Close() })
	lk := LiveKitConfig{Addr: sin.Addr(), Username: bridgeSIPUser, Password: bridgeSIPPassword, SetupTimeout: 5 * time.Second}
	if lkOverride != nil {
		lkOverride(&lk)
	}
	// The core shares two cores with livekit-server, a hundred WebRTC participants and the race detector:
	// its answers get a generous deadline here.
	client := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 10 * time.Second})
	recs := shipRecords(t, t.TempDir(), client)
	gw := startServer(t, WithCore(client), WithCallConfig(cc), WithLiveKit(lk), WithLogger(log), WithRecords(recs))
	gw.fx, gw.recs = fx, recs
	return &bridgeStack{coreFixture: fx, gw: gw, standin: sin, lk: lkcfg,
		rooms: lksdk.NewRoomServiceClient(lkcfg.URL, lkcfg.APIKey, lkcfg.APISecret)}
}

// bridgeCalls is the call policy of the bridge tests: room for 120 bridged calls (two ports each).
func bridgeCalls() CallConfig {
	cc := testCalls
	cc.MaxCalls = 150
	cc.RTPPortMin, cc.RTPPortMax = 33000, 33999
	cc.MaxWait = 20 * time.Second
	return cc
}

// sipParticipants lists the SIP participants of a LiveKit room.
func (b *bridgeStack) sipParticipants(t testing.TB, room string) []*lkproto.ParticipantInfo {
	t.Helper()
	res, err := b.rooms.ListParticipants(context.Background(), &lkproto.ListParticipantsRequest{Room: room})
	if err != nil {
		return nil // the room does not exist (yet)
	}
	return slices.DeleteFunc(res.Participants, func(p *lkproto.ParticipantInfo) bool {
		return p.Kind != lkproto.ParticipantInfo_SIP
	})
}

// joinWeb connects a web participant to room with the Go SDK, as a browser would.
func (b *bridgeStack) joinWeb(t testing.TB, room, identity string) *lksdk.Room {
	t.Helper()
	return b.joinWebWith(t, room, identity, &lksdk.RoomCallback{})
}

// joinWebWith is joinWeb with the participant's callbacks.
func (b *bridgeStack) joinWebWith(t testing.TB, room, identity string, cb *lksdk.RoomCallback) *lksdk.Room {
	t.Helper()
	tok, err := auth.NewAccessToken(b.lk.APIKey, b.lk.APISecret).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room}).SetIdentity(identity).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	r, err := lksdk.ConnectToRoomWithToken(b.lk.URL, tok, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("web participant: %v", err)
	}
	t.Cleanup(r.Disconnect)
	return r
}

// dialIn places a call to sipgate and types pin: the call is past the IVR when it returns.
func dialIn(t testing.TB, gw *running, pin string, headers ...sip.Header) *uac {
	t.Helper()
	u := newUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	u.invite(ctx, gw.Addr(), "udp", headers...)
	u.answered(ctx)
	if err := u.sess.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	u.keys(pin + "#")
	return u
}

// dialBridged dials in until the call reaches LiveKit's room, at most three times: under heavy load the
// stand-in's WebRTC join can fail (it answers 500, sipgate says "service unavailable" and hangs up), which
// is the stand-in's limit, not sipgate's. Each failure is logged.
func (b *bridgeStack) dialBridged(t testing.TB, pin string) *uac {
	t.Helper()
	for attempt := 1; ; attempt++ {
		u := dialIn(t, b.gw, pin)
		id := u.sess.InviteRequest.CallID().Value()
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			if slices.ContainsFunc(b.standin.Calls(), func(c standin.Call) bool { return c.Attributes[livekit.AttrCallID] == id && !c.Ended }) {
				return u
			}
			select {
			case <-u.byes:
				deadline = time.Time{}
			case <-time.After(20 * time.Millisecond):
			}
		}
		if attempt == 3 {
			t.Fatalf("call %s never reached the room", id)
		}
		t.Logf("call %s did not reach the room (attempt %d): dialling again", id, attempt)
	}
}

// bridged waits until sipgate relays n calls.
func (r *running) bridged(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for r.metric(t, "sipgate_bridged_calls") != fmt.Sprint(n) {
		if time.Now().After(deadline) {
			_, body := get(t, r.Handler(), "/metrics")
			t.Fatalf("%s bridged calls, want %d\n%s", r.metric(t, "sipgate_bridged_calls"), n, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// talk sends n 20 ms PCMU frames, paced.
func (u *uac) talk(n int) {
	frame := talkFrame
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range n {
		<-tick.C
		u.send(0, false, u.nextTS(160), frame)
	}
}

func TestBridgeLandsInTheRoomOfThePIN(t *testing.T) {
	cc := bridgeCalls()
	cc.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} // the caller's number is asserted
	b := startBridge(t, cc, nil)
	first := b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	other := b.createRoom(t, core.AccessPublic, "8642", []byte(`{"phone_callers_first":true}`))

	// The caller tries to pick the room: its INVITE names the other room in the header sipgate uses
	// towards LiveKit. sipgate builds that leg from the core's answer alone.
	u := dialIn(t, b.gw, "1357", sip.NewHeader(headerRoomID, other.ID), sip.NewHeader("X-Room", other.ID),
		sip.NewHeader("P-Asserted-Identity", "<sip:"+testCaller+"@127.0.0.1>"))
	var p *lkproto.ParticipantInfo
	eventually(t, "the caller in the room", func() bool {
		ps := b.sipParticipants(t, first.ID)
		if len(ps) == 1 {
			p = ps[0]
		}
		return p != nil
	})
	if ps := b.sipParticipants(t, other.ID); len(ps) != 0 {
		t.Fatalf("the other room has SIP participants: %v", ps)
	}
	want := map[string]string{livekit.AttrRoomID: first.ID, livekit.AttrRole: "guest", livekit.AttrCallID: u.sess.InviteRequest.CallID().Value()}
	for k, v := range want {
		if p.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, p.Attributes[k], v)
		}
	}
	caller := strings.TrimPrefix(u.sess.InviteRequest.From().Address.User, "+")
	everything := p.Identity + " " + p.Name + " " + p.Metadata + fmt.Sprint(p.Attributes)
	if strings.Contains(everything, caller) || strings.Contains(everything, caller[len(caller)-6:]) {
		t.Errorf("the caller's number reaches LiveKit: %s", everything)
	}
	if !strings.HasPrefix(p.Name, "Phone ") || !strings.HasSuffix(caller, strings.TrimPrefix(p.Name, "Phone ")) {
		t.Errorf("participant name %q, want Phone and the number's last digits", p.Name)
	}

	b.gw.bridged(t, 1)
	u.settled() // "You are the first participant"
	u.talk(50)
	eventually(t, "every packet echoed", func() bool { return u.echoes.Load() == 50 })

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if code := u.bye(ctx); code != sip.StatusOK {
		t.Fatalf("BYE: %d", code)
	}
	eventually(t, "the LiveKit leg ended", func() bool { return len(b.sipParticipants(t, first.ID)) == 0 })
	b.gw.idle(t)
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="connected"}`); v != "1" {
		t.Errorf("connected calls = %s, want 1", v)
	}
}

func TestHeadersFromTheCallerAreNotTrunkCredentials(t *testing.T) {
	// Without sipgate's credentials, a call straight to LiveKit's SIP service, from sipgate's own
	// address, is challenged and refused: only sipgate can pick a room.
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessPublic, "1357", nil)
	c := newClient(t)
	req := withSDP(newRequest(t, sip.INVITE, b.standin.Addr(), "udp"))
	req.Recipient.User = room.ID
	res := do(t, c, req)
	if res.StatusCode != sip.StatusProxyAuthRequired && res.StatusCode != sip.StatusUnauthorized {
		t.Fatalf("INVITE without credentials: %d, want 407 or 401", res.StatusCode)
	}
}

func TestLiveKitHangsUpEndsTheCall(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	u := dialIn(t, b.gw, "1357")
	var p *lkproto.ParticipantInfo
	eventually(t, "the caller in the room", func() bool {
		ps := b.sipParticipants(t, room.ID)
		if len(ps) == 1 {
			p = ps[0]
		}
		return p != nil
	})
	if _, err := b.rooms.RemoveParticipant(context.Background(), &lkproto.RoomParticipantIdentity{Room: room.ID, Identity: p.Identity}); err != nil {
		t.Fatal(err)
	}
	u.waitBye(testTimeout)
	b.gw.idle(t)
}

func TestLiveKitLegFailure(t *testing.T) {
	b := startBridge(t, bridgeCalls(), func(lk *LiveKitConfig) { lk.Password = "wrong" })
	b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	u := dialIn(t, b.gw, "1357")
	u.waitBye(testTimeout)
	b.gw.idle(t)
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="livekit_error"}`); v != "1" {
		t.Errorf("livekit_error calls = %s, want 1", v)
	}
}

func TestCallerHangsUpWhileLiveKitRings(t *testing.T) {
	b := startBridge(t, bridgeCalls(), func(lk *LiveKitConfig) { lk.SetupTimeout = 20 * time.Second }, withSlowLiveKit(15*time.Second))
	b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	u := dialIn(t, b.gw, "1357")
	time.Sleep(4 * time.Second) // the PIN, "connecting you", then LiveKit rings
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if code := u.bye(ctx); code != sip.StatusOK {
		t.Fatalf("BYE: %d", code)
	}
	eventually(t, "sipgate's CANCEL at LiveKit", func() bool { return b.standin.Cancelled() == 1 })
	b.gw.idle(t)
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="hangup"}`); v != "1" {
		t.Errorf("hung-up calls = %s, want 1", v)
	}
	if n := len(b.standin.Calls()); n != 0 {
		t.Errorf("%d calls reached LiveKit's room", n)
	}
}

func TestWaitForHost(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessPublic, "1357", nil)
	dialIn(t, b.gw, "1357")
	time.Sleep(time.Second) // the caller waits, hearing music on hold
	if ps := b.sipParticipants(t, room.ID); len(ps) != 0 {
		t.Fatalf("the caller entered before the host: %v", ps)
	}
	b.joinWeb(t, room.ID, "host")
	eventually(t, "the caller in the room once the host joined", func() bool { return len(b.sipParticipants(t, room.ID)) == 1 })
}

func TestWaitForHostGivesUp(t *testing.T) {
	cc := bridgeCalls()
	cc.MaxWait = 2 * time.Second
	b := startBridge(t, cc, nil)
	b.createRoom(t, core.AccessPublic, "1357", nil)
	u := dialIn(t, b.gw, "1357")
	u.waitBye(testTimeout)
	b.gw.idle(t)
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="wait_timeout"}`); v != "1" {
		_, body := get(t, b.gw.Handler(), "/metrics")
		t.Errorf("wait_timeout calls = %s, want 1\n%s", v, body)
	}
}

func TestPhoneLobby(t *testing.T) {
	for _, allow := range []bool{true, false} {
		t.Run(fmt.Sprintf("allow=%v", allow), func(t *testing.T) {
			b := startBridge(t, bridgeCalls(), nil)
			room := b.createRoom(t, core.AccessRestricted, "1357", nil)
			u := dialIn(t, b.gw, "1357")
			ctx := context.Background()
			var entry *core.LobbyEntry
			eventually(t, "the caller in the lobby", func() bool {
				waiting, err := b.api.Lobby.FindWaiting(ctx, room.ID)
				if err == nil && len(waiting) == 1 {
					entry = waiting[0]
				}
				return entry != nil
			})
			// The caller id comes from From, no trusted proxy asserted it: the lobby shows no digits of it.
			if entry.Kind != core.KindPhone || entry.Username != "Phone" {
				t.Fatalf("lobby entry %+v, want a phone participant named Phone", entry)
			}
			// What Decide stores (core/api's tests cover the RPC itself).
			entry.Status = core.EntryDenied
			if allow {
				entry.Status = core.EntryAccepted
			}
			if err := b.api.Lobby.PutEntry(ctx, entry); err != nil {
				t.Fatal(err)
			}
			if allow {
				eventually(t, "the admitted caller in the room", func() bool { return len(b.sipParticipants(t, room.ID)) == 1 })
				return
			}
			u.waitBye(testTimeout)
			b.gw.idle(t)
			if v := b.gw.metric(t, `sipgate_calls_total{outcome="denied"}`); v != "1" {
				t.Errorf("denied calls = %s, want 1", v)
			}
		})
	}
}

func TestMeetingEndsWhileCallerWaits(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessRestricted, "1357", nil)
	ctx := context.Background()
	if _, err := b.rooms.CreateRoom(ctx, &lkproto.CreateRoomRequest{Name: room.ID}); err != nil {
		t.Fatal(err)
	}
	u := dialIn(t, b.gw, "1357")
	eventually(t, "the caller in the lobby", func() bool {
		waiting, err := b.api.Lobby.FindWaiting(ctx, room.ID)
		return err == nil && len(waiting) == 1
	})
	if _, err := b.rooms.DeleteRoom(ctx, &lkproto.DeleteRoomRequest{Room: room.ID}); err != nil {
		t.Fatal(err)
	}
	u.waitBye(testTimeout)
	b.gw.idle(t)
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="room_ended"}`); v != "1" {
		t.Errorf("room_ended calls = %s, want 1", v)
	}
}

func TestHundredBridgedCalls(t *testing.T) {
	const calls, frames, dialing = 100, 100, 4
	// Callers dial four at a time, and LiveKit gets a minute to answer: the stand-in joins each caller to
	// the room over WebRTC, which takes a while on a small machine under the race detector. Once in,
	// callers stay, silent, until all are.
	cc := bridgeCalls()
	cc.NoRTPTimeout = 5 * time.Minute
	b := startBridge(t, cc, func(lk *LiveKitConfig) { lk.SetupTimeout = time.Minute })
	room := b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	uacs := make([]*uac, calls)
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialing)
	for i := range calls {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			uacs[i] = b.dialBridged(t, "1357")
		})
	}
	wg.Wait()
	b.gw.bridged(t, calls)
	if n := len(b.sipParticipants(t, room.ID)); n != calls {
		t.Fatalf("%d callers in the room, want %d", n, calls)
	}
	for _, u := range uacs {
		u.settled() // the first callers in heard so
	}
	for _, u := range uacs {
		wg.Go(func() { u.talk(frames) })
	}
	wg.Wait()
	eventually(t, "every packet echoed", func() bool {
		for _, u := range uacs {
			if u.echoes.Load() < frames {
				return false
			}
		}
		return true
	})
	var in, out uint64
	for _, c := range b.standin.Calls() {
		in, out = in+c.PacketsIn, out+c.PacketsOut
	}
	if in < calls*frames || out != in {
		t.Errorf("stand-in: %d packets in, %d out, want %d both", in, out, calls*frames)
	}
	for _, u := range uacs {
		if n := u.echoes.Load(); n != frames {
			t.Fatalf("a caller got %d packets back, want %d", n, frames)
		}
	}
}

// referTrunk makes the fixture's trunk transfer its callers by REFER.
func (b *bridgeStack) referTrunk(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	trunk, err := b.api.Trunks.FindTrunkByNumber(ctx, testNumber)
	if err != nil {
		t.Fatal(err)
	}
	refer := core.HandoffRefer
	if _, err := b.api.Trunks.UpdateTrunk(ctx, trunk.ID, core.TrunkUpdate{Handoff: &refer}); err != nil {
		t.Fatal(err)
	}
}

func TestReferRefusedFallsBackToBridge(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	b.referTrunk(t)
	room := b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	u := dialIn(t, b.gw, "1357")
	select {
	case r := <-u.refers:
		r.answer <- sip.StatusForbidden
	case <-time.After(testTimeout):
		t.Fatal("no REFER")
	}
	b.gw.bridged(t, 1)
	if n := len(b.sipParticipants(t, room.ID)); n != 1 {
		t.Fatalf("%d callers in the room, want 1", n)
	}
	if v := b.gw.metric(t, `sipgate_handoffs_total{result="refer_refused"}`); v != "1" {
		t.Errorf("refused referrals = %s, want 1", v)
	}
	if n := len(b.transfers(t)); n != 0 {
		t.Errorf("%d transfers left open in LiveKit after the carrier refused", n)
	}
}

// TestReferTransfersTheCall: the carrier calls the single-use callee of the Refer-To from its own address,
// without sipgate's password, and lands in the room with the attributes the core chose. The same carrier
// address calling the room by its name (with forged X-Meet headers, as a REFER of old carried), or the
// callee again after the transfer, meets LiveKit's digest challenge and lands nowhere.
func TestReferTransfersTheCall(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	b.referTrunk(t)
	room := b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	u := dialIn(t, b.gw, "1357")
	var r refer
	select {
	case r = <-u.refers:
		r.answer <- sip.StatusAccepted
	case <-time.After(testTimeout):
		t.Fatal("no REFER")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if code := u.notify(ctx, "100 Trying", false); code != sip.StatusOK {
		t.Fatalf("NOTIFY: %d", code)
	}
	var to sip.Uri
	if err := sip.ParseUri(strings.Trim(r.req.GetHeader("Refer-To").Value(), "<>"), &to); err != nil {
		t.Fatalf("Refer-To: %v", err)
	}
	if strings.Contains(to.String(), room.ID) || !strings.HasPrefix(to.User, "xfer-") || to.Headers.Length() != 0 {
		t.Fatalf("Refer-To %s: want a transfer callee, no room id and no headers", to.String())
	}
	carrier := newUAC(t)
	forged := to
	forged.User = room.ID
	if _, err := carrier.inviteDirect(ctx, forged, sip.NewHeader(headerRoomID, room.ID), sip.NewHeader(headerRole, "owner")); !challenged(err) {
		t.Fatalf("a call to the room's name from the carrier's address: %v; want LiveKit's digest challenge", err)
	}
	leg, err := carrier.inviteDirect(ctx, to)
	if err != nil {
		t.Fatalf("the carrier's INVITE to LiveKit: %v", err)
	}
	t.Cleanup(func() { leg.Bye(context.Background()) })
	if code := u.notify(ctx, "200 OK", true); code != sip.StatusOK {
		t.Fatalf("final NOTIFY: %d", code)
	}
	u.waitBye(testTimeout) // sipgate's part is done (RFC 5589 §6.1)
	ps := b.sipParticipants(t, room.ID)
	callID := callIDSpec.value(u.sess.InviteRequest.CallID().Value())
	if len(ps) != 1 || ps[0].Attributes[livekit.AttrRoomID] != room.ID || ps[0].Attributes[livekit.AttrCallID] != callID ||
		ps[0].Attributes[livekit.AttrRole] != "guest" {
		t.Fatalf("participants %v, want the transferred caller with the core's attributes", ps)
	}
	b.gw.idle(t)
	if _, err := carrier.inviteDirect(ctx, to); !challenged(err) {
		t.Fatalf("the transfer's callee called again: %v; want LiveKit's digest challenge", err)
	}
	if n := len(b.transfers(t)); n != 0 {
		t.Errorf("%d transfers left open in LiveKit", n)
	}
	if n := len(b.sipParticipants(t, room.ID)); n != 1 {
		t.Fatalf("%d callers in the room, want the one transferred", n)
	}
	if v := b.gw.metric(t, `sipgate_calls_total{outcome="transferred"}`); v != "1" {
		t.Errorf("transferred calls = %s, want 1", v)
	}
}

// challenged reports whether err is LiveKit's demand for credentials (RFC 3261 §22.3).
func challenged(err error) bool {
	var res *sipgo.ErrDialogResponse
	var val sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &res):
		return res.Res.StatusCode == sip.StatusProxyAuthRequired
	case errors.As(err, &val):
		return val.Res.StatusCode == sip.StatusProxyAuthRequired
	}
	return false
}

// transfers lists the transfers' trunks the core opened in LiveKit.
func (b *bridgeStack) transfers(t *testing.T) []*lkproto.SIPInboundTrunkInfo {
	t.Helper()
	sc := lksdk.NewSIPClient(b.lk.URL, b.lk.APIKey, b.lk.APISecret)
	res, err := sc.ListSIPInboundTrunk(context.Background(), &lkproto.ListSIPInboundTrunkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(res.Items, func(tr *lkproto.SIPInboundTrunkInfo) bool { return tr.Name != "meetline-sipgate-transfer" })
}

// inviteDirect INVITEs to from the carrier's address, without credentials, and confirms the call when answered.
func (u *uac) inviteDirect(ctx context.Context, to sip.Uri, headers ...sip.Header) (*sipgo.DialogClientSession, error) {
	leg, err := u.cache.Invite(ctx, to, u.offer("sendrecv", 1), append(headers, sip.NewHeader("Content-Type", "application/sdp"))...)
	if err != nil {
		return nil, err
	}
	if err := leg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		leg.Close()
		return nil, err
	}
	return leg, leg.Ack(ctx)
}

func TestCallerHoldsWhileBridged(t *testing.T) {
	// A hold (a=sendonly, RFC 3264 §8.4) re-INVITE on the caller's leg: the caller keeps talking to the room,
	// and sipgate stops sending the room's audio to the caller until it resumes.
	b := startBridge(t, bridgeCalls(), nil)
	b.createRoom(t, core.AccessPublic, "1357", []byte(`{"phone_callers_first":true}`))
	u := dialIn(t, b.gw, "1357")
	b.gw.bridged(t, 1)
	u.settled() // "You are the first participant"
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	u.talk(20)
	eventually(t, "20 packets back", func() bool { return u.echoes.Load() == 20 })

	u.reinvite(ctx, u.offer("sendonly", 2))
	u.talk(20)
	eventually(t, "LiveKit's side got the held caller's packets", func() bool {
		calls := b.standin.Calls()
		return len(calls) == 1 && calls[0].PacketsIn == 40
	})
	time.Sleep(200 * time.Millisecond)
	if n := u.echoes.Load(); n != 20 {
		t.Fatalf("%d packets back during the hold, want none more than 20", n)
	}

	u.reinvite(ctx, u.offer("sendrecv", 3))
	u.talk(20)
	eventually(t, "packets back after resuming", func() bool { return u.echoes.Load() == 40 })
}

// TestHeadersMatchTheTrunk: the headers sipgate sends LiveKit are the ones the trunk the core provisions
// turns into attributes (sipgate repeats core/livekit's names so as not to link LiveKit's SDK).
func TestHeadersMatchTheTrunk(t *testing.T) {
	mapped := livekit.SIPHeadersToAttributes()
	for _, h := range []string{headerRoomID, headerRole, headerCallID} {
		if _, ok := mapped[h]; !ok {
			t.Errorf("header %s is not in the trunk's HeadersToAttributes %v", h, mapped)
		}
	}
	if len(mapped) != 3 {
		t.Errorf("the trunk maps %d headers, sipgate sends 3", len(mapped))
	}
}
