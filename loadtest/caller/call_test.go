package caller

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/meetline/meetline/sipgate/media"
)

// busyNumber is the number the fake gateway answers 503.
const busyNumber = "+33970000503"

// downNumber is the number whose PINs the fake gateway answers as sipgate does when the core is away:
// "temporarily unavailable", then a BYE with downReason.
const (
	downNumber = "+33970000041"
	downReason = `Q.850;cause=41;text="core_unavailable"`
)

// fakeGate is a small sipgate for the callers' tests: it answers, plays the first frames of "enter the
// PIN", takes keys by RFC 4733 and INFO, and answers '#' with "connecting" or "that PIN is not valid".
// Prompts go out 5 ms a frame rather than 20, to keep the tests short.
type fakeGate struct {
	t       *testing.T
	pin     string
	addr    string
	prompts *media.Prompts
	dialogs *sipgo.DialogServerCache

	mu    sync.Mutex
	calls map[string]*fakeCall // by Call-ID
	ended []string             // how each call ended: "bye" or "hangup"
}

// fakeCall is one call the fake gateway answered.
type fakeCall struct {
	down   bool        // '#' gets "temporarily unavailable" and a BYE with downReason
	echo   atomic.Bool // bridged: every packet from the caller goes back to it
	keys   chan byte
	dlg    *sipgo.DialogServerSession
	conn   *net.UDPConn
	remote netip.AddrPort
}

func startFakeGate(t *testing.T, pin string) *fakeGate {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := media.LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	g := &fakeGate{t: t, pin: pin, addr: pc.LocalAddr().String(), prompts: ps, calls: map[string]*fakeCall{},
		dialogs: sipgo.NewDialogServerCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: port}})}
	srv.OnInvite(g.invite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = g.dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { _ = g.dialogs.ReadBye(req, tx) })
	srv.OnInfo(g.info)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); ua.Close(); <-served })
	return g
}

// invite answers a call and runs it until it ends, as sipgate does in its INVITE handler.
func (g *fakeGate) invite(req *sip.Request, tx sip.ServerTransaction) {
	if req.Recipient.User == busyNumber {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil))
		return
	}
	dlg, err := g.dialogs.ReadInvite(req, tx)
	if err != nil {
		g.t.Error(err)
		return
	}
	defer dlg.Close()
	offer, err := parseAnswer(req.Body())
	if err != nil {
		g.t.Error(err)
		return
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		g.t.Error(err)
		return
	}
	defer conn.Close()
	c := &fakeCall{keys: make(chan byte, 32), dlg: dlg, conn: conn, remote: offer.addr, down: req.Recipient.User == downNumber}
	g.mu.Lock()
	g.calls[req.CallID().Value()] = c
	g.mu.Unlock()
	answer := []byte(strings.Replace(string(offerFor(conn)), "s=meetline-loadtest", "s=fake", 1))
	if err := dlg.Respond(sip.StatusOK, "OK", answer, sip.NewHeader("Content-Type", "application/sdp")); err != nil {
		g.t.Error(err)
		return
	}
	go c.readKeys()
	how := g.converse(c)
	g.mu.Lock()
	g.ended = append(g.ended, how)
	g.mu.Unlock()
}

func offerFor(conn *net.UDPConn) []byte {
	return offer(netip.MustParseAddr("127.0.0.1"), uint16(conn.LocalAddr().(*net.UDPAddr).Port), 1)
}

// converse plays the prompt, collects keys to '#', answers, and waits for the caller's BYE.
func (g *fakeGate) converse(c *fakeCall) string {
	ctx := c.dlg.Context()
	var seq uint16
	stop, _ := c.play(ctx, g.prompt(media.EnterPIN), &seq)
	var typed []byte
	for {
		select {
		case <-ctx.Done():
			stop()
			return "hangup"
		case k := <-c.keys:
			stop() // barge-in
			if k != '#' {
				typed = append(typed, k)
				continue
			}
			name := media.InvalidPIN
			if string(typed) == g.pin {
				name = media.Connecting
			}
			if c.down {
				_, played := c.play(ctx, g.prompt(media.Unavailable), &seq)
				<-played
				bye := sip.NewRequest(sip.BYE, c.dlg.InviteRequest.Contact().Address)
				bye.AppendHeader(sip.NewHeader("Reason", downReason))
				_ = c.dlg.WriteBye(ctx, bye)
				return "bye"
			}
			stop, played := c.play(ctx, g.prompt(name), &seq)
			if name == media.Connecting {
				<-played
				c.echo.Store(true)
			}
			<-ctx.Done()
			stop()
			return "bye"
		}
	}
}

func (g *fakeGate) prompt(n media.Name) [][]byte {
	p, _ := g.prompts.Get("en-us", n)
	return p.Frames(media.PCMU)
}

// play sends up to 80 frames as one talkspurt; stop ends it and waits, done is closed once it ended.
func (c *fakeCall) play(ctx context.Context, frames [][]byte, seq *uint16) (stop func(), done <-chan struct{}) {
	ctx, cancel := context.WithCancel(ctx)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for i, f := range frames[:min(len(frames), 80)] {
			*seq++
			p := rtp.Packet{Header: rtp.Header{Version: 2, Marker: i == 0, SequenceNumber: *seq, Timestamp: uint32(i * 160),
				SSRC: 0xfeed}, Payload: f}
			b, _ := p.Marshal()
			_, _ = c.conn.WriteToUDPAddrPort(b, c.remote)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); <-ended }, ended
}

// readKeys takes RFC 4733 events, each once, by their timestamp.
func (c *fakeCall) readKeys() {
	buf := make([]byte, 1500)
	last := map[uint32]bool{}
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			return
		}
		if c.echo.Load() {
			_, _ = c.conn.WriteToUDPAddrPort(buf[:n], c.remote)
			continue
		}
		var p rtp.Packet
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != eventPT || len(p.Payload) < 4 || last[p.Timestamp] {
			continue
		}
		last[p.Timestamp] = true
		c.keys <- "0123456789*#"[p.Payload[0]]
	}
}

func (g *fakeGate) info(req *sip.Request, tx sip.ServerTransaction) {
	g.mu.Lock()
	c := g.calls[req.CallID().Value()]
	g.mu.Unlock()
	sig, ok := strings.CutPrefix(string(req.Body()), "Signal=")
	if c == nil || !ok || sig == "" {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	c.keys <- sig[0]
}

// quick is a caller who types fast, for tests.
var quick = Typing{Listen: [2]time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
	Gap: [2]time.Duration{5 * time.Millisecond, 15 * time.Millisecond}, Press: [2]time.Duration{40 * time.Millisecond, 60 * time.Millisecond}}

func TestCallsAgainstAFakeGateway(t *testing.T) {
	g := startFakeGate(t, "2468013579")
	quiet := slog.New(slog.DiscardHandler)
	a, err := NewAgent(g.addr, net.IPv4(127, 0, 0, 1), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec, err := NewRecognizer()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMedia(netip.MustParseAddr("127.0.0.1"), 2, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b := &Book{Open: []Room{{PIN: "2468013579", Numbers: []string{"+33970000001"}}}, Wrong: []string{"+33970000002"}, PINLength: 10}
	r := &Runner{Agents: []*Agent{a}, Media: m, Log: quiet, Seed: 1}
	kinds := []Kind{Valid, Invalid, Abandon, Valid, Invalid, Abandon}
	var mu sync.Mutex
	next := 0
	steps := []Step{{Name: "mixed", Rate: 50, Count: len(kinds) * 2, Plan: func(rng *rand.Rand) (Plan, error) {
		mu.Lock()
		i := next
		next++
		mu.Unlock()
		return b.Plan(rng, kinds[i%len(kinds)], Method(i/len(kinds)), quick)
	}}, {Name: "busy", Rate: 50, Count: 1, Plan: func(rng *rand.Rand) (Plan, error) {
		p, err := b.Plan(rng, Valid, RFC4733, quick)
		p.Number = busyNumber
		return p, err
	}}, {Name: "core away", Rate: 50, Count: 1, Plan: func(rng *rand.Rand) (Plan, error) {
		p, err := b.Plan(rng, Valid, RFC4733, quick)
		p.Number = downNumber
		return p, err
	}}, {Name: "bridged", Rate: 50, Count: 2, Plan: func(rng *rand.Rand) (Plan, error) {
		p, err := b.Plan(rng, Valid, RFC4733, quick)
		p.Bridge, p.Hold = true, 300*time.Millisecond
		return p, err
	}}}
	ctx := context.Background()
	results := r.Run(ctx, ctx, steps, 20*time.Second)
	if len(results) != len(kinds)*2+4 {
		t.Fatalf("%d results, want %d", len(results), len(kinds)*2+4)
	}
	for _, res := range results {
		if res.Step == 1 {
			if res.Outcome != Busy || res.Status != sip.StatusServiceUnavailable || !res.Failed() {
				t.Errorf("the busy call: %+v", res)
			}
			continue
		}
		if res.Step == 2 {
			// The caller listens to the end and keeps what sipgate said and why it hung up.
			if res.Outcome != WrongPrompt || res.Prompt != string(media.Unavailable) || res.ByeReason != downReason ||
				strings.Join(res.Heard, ",") != "enter_pin,unavailable" {
				t.Errorf("the call while the core is away: %s (%q), heard %v, BYE Reason %q", res.Outcome, res.Prompt, res.Heard, res.ByeReason)
			}
			continue
		}
		if !res.OK() {
			t.Errorf("%v by %v: %s (heard %q), want %s", res.Kind, res.Method, res.Outcome, res.Prompt, res.Expected)
			continue
		}
		if res.Setup <= 0 || res.Status != sip.StatusOK || res.RTP.Sent == 0 || res.RTP.Received == 0 || res.RTP.Lost != 0 {
			t.Errorf("%v by %v: setup %v status %d rtp %+v", res.Kind, res.Method, res.Setup, res.Status, res.RTP)
		}
		if res.Kind != Abandon && (res.PINToOutcome <= 0 || res.PINToOutcome > 2*time.Second || res.Hash.IsZero()) {
			t.Errorf("%v by %v: '#' → outcome %v", res.Kind, res.Method, res.PINToOutcome)
		}
		if res.Step == 3 && (res.Outcome != Bridged || res.PINToBridge < res.PINToOutcome || res.RTP.Echoed == 0) {
			t.Errorf("a bridged call: %s, '#' → bridged %v, %d packets echoed", res.Outcome, res.PINToBridge, res.RTP.Echoed)
		}
	}
	if r.Failures() != 2 || r.InFlight() != 0 || r.Placed() != uint64(len(results)) {
		t.Errorf("runner: %d failures, %d in flight, %d placed", r.Failures(), r.InFlight(), r.Placed())
	}
}
