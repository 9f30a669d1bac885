package sipgate

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// uac is a test caller built on sipgo: a user agent with a UDP listener of its own (the Contact, where
// sipgate's BYE arrives), one RTP socket, and the one call it places. Unlike sipp it can step outside
// the usual order: CANCEL while sipgate waits for the core, BYE before the ACK, re-INVITE mid-call.
type uac struct {
	t       testing.TB
	cache   *sipgo.DialogClientCache
	contact sip.ContactHeader
	rtp     *net.UDPConn
	byes    chan struct{} // one value per BYE from sipgate
	echoes  atomic.Int64  // the caller's own packets received back
	heard   atomic.Int64  // every RTP datagram sipgate sent the caller
	spoken  atomic.Int64  // other PCMU packets: sipgate's prompts and music
	// gaps counts the packets that did not follow the one before in the same stream (same SSRC, next
	// sequence number): sipgate's prompts and the meeting it relays are one stream (media/splice.go).
	gaps      atomic.Int64
	byeReason atomic.Pointer[string] // the Reason header of sipgate's last BYE
	refers    chan refer             // REFERs from sipgate, to be answered by the test
	// refreshes receives the session refreshes sipgate sends (UPDATE, re-INVITE), answered 200 at once
	// with the Session-Expires they carry and, for a re-INVITE, the caller's SDP.
	refreshes chan *sip.Request

	sess   *sipgo.DialogClientSession
	remote netip.AddrPort // sipgate's RTP address, from its answer

	mu   sync.Mutex // guards the RTP sequence and timestamps
	seq  uint16
	ts   uint32
	ssrc uint32
}

func newUAC(t testing.TB) *uac {
	t.Helper()
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("sipgate-test-uac"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard)),
	)
	if err != nil {
		t.Fatalf("sipgo.NewUA: %v", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(discard), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	u := &uac{t: t, rtp: rtpConn, byes: make(chan struct{}, 4), refers: make(chan refer, 1),
		refreshes: make(chan *sip.Request, 16), ssrc: 0x5eed, seq: 1000, ts: 8000}
	u.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1",
		Port: pc.LocalAddr().(*net.UDPAddr).Port}}
	u.cache = sipgo.NewDialogClientCache(client, u.contact)
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := u.cache.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "No Dialog", nil))
			return
		}
		if r := req.GetHeader("Reason"); r != nil {
			v := r.Value()
			u.byeReason.Store(&v)
		}
		u.byes <- struct{}{}
	})
	srv.OnRefer(func(req *sip.Request, tx sip.ServerTransaction) {
		r := refer{req: req, answer: make(chan int)}
		u.refers <- r
		tx.Respond(sip.NewResponseFromRequest(req, <-r.answer, "", nil))
	})
	srv.OnUpdate(u.answerRefresh)
	srv.OnInvite(u.answerRefresh)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {}) // of sipgate's refresh re-INVITE
	served := make(chan struct{})
	go func() { defer close(served); srv.ServeUDP(pc) }()
	go u.readRTP() // the prompts, and the caller's own packets when a bridge echoes them
	t.Cleanup(func() {
		if u.sess != nil {
			u.sess.Close()
		}
		pc.Close()
		rtpConn.Close()
		ua.Close()
		<-served
	})
	return u
}

// answerRefresh answers a session refresh from sipgate (RFC 4028 §10) with 200, keeping the interval and
// the refresher it names, and the caller's unchanged SDP when it is a re-INVITE (an offer), then passes it
// to the test.
func (u *uac) answerRefresh(req *sip.Request, tx sip.ServerTransaction) {
	var body []byte
	if req.IsInvite() {
		body = u.offer("sendrecv", 1)
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.AppendHeader(u.contact.Clone())
	if h := req.GetHeader("Session-Expires"); h != nil {
		res.AppendHeader(sip.NewHeader("Session-Expires", h.Value()))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	tx.Respond(res)
	select {
	case u.refreshes <- req:
	default:
	}
}

// talkFrame is what the caller says when bridged: a frame no prompt contains.
var talkFrame = bytes.Repeat([]byte{0x5A}, 160)

// readRTP counts the PCMU packets that come back with the caller's own words (the stand-in echoes what it
// receives, so each is one of the caller's packets, back through both legs: the relay leaves payloads alone
// and rewrites the header into sipgate's stream toward the caller) and discards the rest.
func (u *uac) readRTP() {
	buf := make([]byte, 2048)
	var p rtp.Packet
	var last rtp.Header
	for {
		n, _, err := u.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		u.heard.Add(1)
		if p.Unmarshal(buf[:n]) == nil {
			if u.heard.Load() > 1 && (p.SSRC != last.SSRC || p.SequenceNumber != last.SequenceNumber+1) {
				u.gaps.Add(1)
			}
			last = p.Header
		}
		switch {
		case p.Unmarshal(buf[:n]) != nil || p.PayloadType != 0:
		case bytes.Equal(p.Payload, talkFrame):
			u.echoes.Add(1)
		default:
			u.spoken.Add(1)
		}
	}
}

// offer is the caller's SDP: PCMU and telephone-event 101 on the uac's RTP port, with direction dir
// (sendrecv, sendonly...), version ver.
func (u *uac) offer(dir string, ver int) []byte {
	port := u.rtp.LocalAddr().(*net.UDPAddr).Port
	return fmt.Appendf(nil, "v=0\r\no=- 4242 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"+
		"a=fmtp:101 0-15\r\na=%s\r\n", ver, port, dir)
}

// testCaller is the number every test call comes from.
const testCaller = "+33612345678"

// invite sends the INVITE for testNumber to addr over transport and returns the session without waiting
// for an answer.
func (u *uac) invite(ctx context.Context, addr, transport string, headers ...sip.Header) *sipgo.DialogClientSession {
	u.t.Helper()
	var to sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%s@%s;transport=%s", testNumber, addr, transport), &to); err != nil {
		u.t.Fatal(err)
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: testCaller, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	headers = append([]sip.Header{sip.NewHeader("Content-Type", "application/sdp"), from}, headers...)
	sess, err := u.cache.Invite(ctx, to, u.offer("sendrecv", 1), headers...)
	if err != nil {
		u.t.Fatalf("INVITE: %v", err)
	}
	u.sess = sess
	return sess
}

// answered waits for the 200 OK of the INVITE and takes sipgate's RTP address from it; it does not ACK.
func (u *uac) answered(ctx context.Context) {
	u.t.Helper()
	if err := u.sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		u.t.Fatalf("waiting for the answer: %v", err)
	}
	u.remote = rtpAddr(u.t, u.sess.InviteResponse.Body())
}

// call places a call over UDP and ACKs the answer: the call is in the IVR when it returns.
func (u *uac) call(ctx context.Context, addr string) {
	u.t.Helper()
	u.invite(ctx, addr, "udp")
	u.answered(ctx)
	if err := u.sess.Ack(ctx); err != nil {
		u.t.Fatalf("ACK: %v", err)
	}
}

// reinvite sends an INVITE within the dialog with body and headers, ACKs its 200 and returns it.
func (u *uac) reinvite(ctx context.Context, body []byte, headers ...sip.Header) *sip.Response {
	u.t.Helper()
	req := sip.NewRequest(sip.INVITE, u.sess.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	for _, h := range headers {
		req.AppendHeader(h)
	}
	res, err := u.sess.Do(ctx, req)
	if err != nil {
		u.t.Fatalf("re-INVITE: %v", err)
	}
	if res.StatusCode != sip.StatusOK {
		u.t.Fatalf("re-INVITE: %d %s, want 200", res.StatusCode, res.Reason)
	}
	ack := sip.NewRequest(sip.ACK, u.sess.InviteResponse.Contact().Address)
	if err := u.sess.WriteRequest(ack); err != nil { // the CSeq of the re-INVITE, not incremented for ACK
		u.t.Fatalf("ACK of the re-INVITE: %v", err)
	}
	return res
}

// update sends an UPDATE within the dialog (RFC 3311) with body, an offer or nil for a session refresh,
// and headers, and returns the final response.
func (u *uac) update(ctx context.Context, body []byte, headers ...sip.Header) *sip.Response {
	u.t.Helper()
	req := sip.NewRequest(sip.UPDATE, u.sess.InviteResponse.Contact().Address)
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	}
	for _, h := range headers {
		req.AppendHeader(h)
	}
	res, err := u.sess.Do(ctx, req)
	if err != nil {
		u.t.Fatalf("UPDATE: %v", err)
	}
	return res
}

// bye sends a BYE in the dialog, whatever its state (sipgo's Bye refuses before the ACK), and returns the
// status of the answer.
func (u *uac) bye(ctx context.Context) int {
	u.t.Helper()
	res, err := u.sess.Do(ctx, sip.NewRequest(sip.BYE, u.sess.InviteResponse.Contact().Address))
	if err != nil {
		u.t.Fatalf("BYE: %v", err)
	}
	return res.StatusCode
}

// waitBye waits for sipgate's BYE and returns how long it took.
func (u *uac) waitBye(within time.Duration) time.Duration {
	u.t.Helper()
	start := time.Now()
	select {
	case <-u.byes:
		return time.Since(start)
	case <-time.After(within):
		u.t.Fatalf("no BYE from sipgate within %v", within)
		return 0
	}
}

// send writes one RTP packet to sipgate.
func (u *uac) send(pt uint8, marker bool, ts uint32, payload []byte) {
	u.mu.Lock()
	u.seq++
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: u.seq,
		Timestamp: ts, SSRC: u.ssrc}, Payload: payload}
	u.mu.Unlock()
	b, err := p.Marshal()
	if err != nil {
		u.t.Error(err)
		return
	}
	u.rtp.WriteToUDPAddrPort(b, u.remote)
}

// nextTS advances the RTP clock by n samples and returns the timestamp before.
func (u *uac) nextTS(n uint32) uint32 {
	u.mu.Lock()
	defer u.mu.Unlock()
	ts := u.ts
	u.ts += n
	return ts
}

// audio sends 20 ms PCMU silence frames until ctx ends.
func (u *uac) audio(ctx context.Context) {
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = 0xFF
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			u.send(0, false, u.nextTS(160), silence)
		}
	}
}

// keys types digits as RFC 4733 events (PT 101): per key, three packets of growing duration and three
// end packets, 10 ms apart, then a 40 ms gap.
func (u *uac) keys(digits string) {
	codes := map[rune]byte{'*': 10, '#': 11}
	for d := '0'; d <= '9'; d++ {
		codes[d] = byte(d - '0')
	}
	for _, d := range digits {
		ev, ok := codes[d]
		if !ok {
			u.t.Fatalf("no RFC 4733 event for %q", d)
		}
		ts := u.nextTS(1600)
		for i := range 6 {
			end := byte(0)
			if i >= 3 {
				end = 0x80
			}
			dur := uint16(160 * min(i+1, 4))
			u.send(101, i == 0, ts, []byte{ev, end | 10, byte(dur >> 8), byte(dur)})
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// rtpAddr reads the c= address and m=audio port of an SDP body.
func rtpAddr(t testing.TB, sdp []byte) netip.AddrPort {
	t.Helper()
	var ip netip.Addr
	var port uint64
	for line := range strings.SplitSeq(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			ip, _ = netip.ParseAddr(v)
		}
		if v, ok := strings.CutPrefix(line, "m=audio "); ok {
			port, _ = strconv.ParseUint(strings.Fields(v)[0], 10, 16)
		}
	}
	if !ip.IsValid() || port == 0 {
		t.Fatalf("no RTP address in the SDP answer:\n%s", sdp)
	}
	return netip.AddrPortFrom(ip, uint16(port))
}

// sdpVersion returns the sess-version of an SDP body's o= line (RFC 4566 §5.2).
func sdpVersion(t testing.TB, sdp []byte) uint64 {
	t.Helper()
	for line := range strings.SplitSeq(string(sdp), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "o="); ok {
			if f := strings.Fields(v); len(f) == 6 {
				n, err := strconv.ParseUint(f[2], 10, 64)
				if err == nil {
					return n
				}
			}
		}
	}
	t.Fatalf("no o= line in the SDP:\n%s", sdp)
	return 0
}

// gatedCore holds LookupNumber until the test opens the gate or the INVITE is cancelled, so that a CANCEL
// reliably arrives while sipgate has not answered yet. Everything else goes to the real core.
type gatedCore struct {
	Core
	entered chan struct{} // receives when a lookup starts waiting
	gate    chan struct{} // closed to let lookups through
}

func (g *gatedCore) LookupNumber(ctx context.Context, called string) (Trunk, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	select {
	case <-g.gate:
		return g.Core.LookupNumber(ctx, called)
	case <-ctx.Done():
		return Trunk{}, ctx.Err()
	}
}

// idle waits until sipgate holds no call: nothing in the call table, no reserved slot, no handler in
// flight (each call runs in its INVITE handler, so this is its goroutine), sipgate_active_calls 0.
func (r *running) idle(t testing.TB) {
	t.Helper()
	eventually(t, "no call left", func() bool {
		r.calls.mu.Lock()
		n, slots := len(r.calls.byDialog), r.calls.slots
		r.calls.mu.Unlock()
		return n == 0 && slots == 0 && r.inflight.count() == 0 && r.metric(t, "sipgate_active_calls") == "0"
	})
}

// refer is a REFER the uac received; the test sends the status to answer it with on answer.
type refer struct {
	req    *sip.Request
	answer chan int
}

// notify reports a transfer's progress to sipgate (RFC 3515 §2.4.5): a NOTIFY in the call's dialog whose
// message/sipfrag body is status.
func (u *uac) notify(ctx context.Context, status string, final bool) int {
	u.t.Helper()
	req := sip.NewRequest(sip.NOTIFY, u.sess.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte("SIP/2.0 " + status + "\r\n"))
	res, err := u.sess.Do(ctx, req)
	if err != nil {
		u.t.Fatalf("NOTIFY: %v", err)
	}
	return res.StatusCode
}

// settled waits until sipgate has said nothing to u for 300 ms, at most 10 s: the first caller into a room
// hears so once bridged, in place of the room's audio.
func (u *uac) settled() {
	last, since := u.spoken.Load(), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n := u.spoken.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return
		}
	}
}
