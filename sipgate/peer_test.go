package sipgate

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// peer is a caller that speaks raw SIP over UDP: the test writes every datagram itself, so it alone decides
// what is sent again, lost or reordered, and reads back, parsed, everything sipgate sends. Unlike a SIP
// library it never retransmits, acknowledges or answers on its own.
type peer struct {
	t      *testing.T
	conn   *net.UDPConn // the caller's SIP socket, also its Contact
	rtp    *net.UDPConn
	gw     string // sipgate's SIP address
	callID string
	tag    string
	toTag  string // sipgate's, from its first response with one
	cseq   uint32
	sdpVer int

	mu   sync.Mutex
	got  []received // everything sipgate sent to conn, in arrival order
	cond *sync.Cond
}

// received is a message sipgate sent, with when it arrived and its size.
type received struct {
	msg  sip.Message
	at   time.Time
	size int
	on   *net.UDPConn
}

func newPeer(t *testing.T, gw string) *peer {
	t.Helper()
	p := &peer{t: t, gw: gw, callID: sip.GenerateTagN(16) + "@peer", tag: sip.GenerateTagN(10), cseq: 1, sdpVer: 1}
	p.cond = sync.NewCond(&p.mu)
	p.conn = p.listen()
	var err error
	if p.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.rtp.Close() })
	return p
}

// listen opens a SIP socket of the caller's and reads what sipgate sends to it until the test ends.
func (p *peer) listen() *net.UDPConn {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 65535)
		parser := sip.NewParser()
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msg, err := parser.ParseSIP(append([]byte(nil), buf[:n]...))
			if err != nil {
				continue
			}
			p.mu.Lock()
			p.got = append(p.got, received{msg: msg, at: time.Now(), size: n, on: conn})
			p.cond.Broadcast()
			p.mu.Unlock()
		}
	}()
	return conn
}

func (p *peer) addr() string { return p.conn.LocalAddr().String() }

// send writes one raw datagram to sipgate.
func (p *peer) send(raw string) {
	p.t.Helper()
	dst, _ := netip.ParseAddrPort(p.gw)
	if _, err := p.conn.WriteToUDPAddrPort([]byte(raw), dst); err != nil {
		p.t.Fatal(err)
	}
}

// offer is the caller's SDP: PCMU (and whatever formats) and telephone-event 101 on its RTP port, with
// attribute dir ("sendrecv", "sendonly", "inactive").
func (p *peer) offer(formats, dir string) string {
	p.sdpVer++
	port := p.rtp.LocalAddr().(*net.UDPAddr).Port
	return fmt.Sprintf("v=0\r\no=- 4242 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %s 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=%s\r\n", p.sdpVer, port, formats, dir)
}

// invite is the caller's INVITE (CSeq 1) with sdp and extra header lines; the test sends (and resends) it.
func (p *peer) invite(sdp string, extra ...string) string {
	return p.message("INVITE sip:"+testNumber+"@"+p.gw, "To: <sip:"+testNumber+"@"+p.gw+">", 1, "INVITE",
		sip.GenerateBranch(), "application/sdp", sdp, extra...)
}

// request is the caller's next request within the dialog: the next CSeq, a new branch.
func (p *peer) request(method, ctype, body string, extra ...string) string {
	p.cseq++
	return p.requestSeq(method, p.cseq, ctype, body, extra...)
}

// requestSeq is a request within the dialog with CSeq seq.
func (p *peer) requestSeq(method string, seq uint32, ctype, body string, extra ...string) string {
	return p.message(method+" sip:sipgate@"+p.gw, "To: <sip:"+testNumber+"@"+p.gw+">;tag="+p.toTag, seq, method,
		sip.GenerateBranch(), ctype, body, extra...)
}

// ack is the ACK of the INVITE numbered seq, with body (an answer) or none.
func (p *peer) ack(seq uint32, body string) string {
	ctype := ""
	if body != "" {
		ctype = "application/sdp"
	}
	return p.requestSeq("ACK", seq, ctype, body)
}

func (p *peer) message(start, to string, seq uint32, method, branch, ctype, body string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s SIP/2.0\r\n", start)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n", p.addr(), branch)
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: <sip:%s@127.0.0.1>;tag=%s\r\n", testCaller, p.tag)
	b.WriteString(to + "\r\n")
	fmt.Fprintf(&b, "Call-ID: %s\r\n", p.callID)
	fmt.Fprintf(&b, "CSeq: %d %s\r\n", seq, method)
	fmt.Fprintf(&b, "Contact: <sip:caller@%s>\r\n", p.addr())
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	if ctype != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ctype)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// answer is the caller's final response to a request of sipgate's, with body (SDP) or none.
func (p *peer) answer(req *sip.Request, code int, body string) string {
	res := sip.NewResponseFromRequest(req, code, "X", nil)
	if body != "" {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody([]byte(body))
	} else {
		res.SetBody(nil)
	}
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1",
		Port: p.conn.LocalAddr().(*net.UDPAddr).Port}})
	return res.String()
}

// wait returns the first message at index from or later that match accepts, and its index, or fails the
// test after within.
func (p *peer) wait(from int, within time.Duration, what string, match func(sip.Message) bool) (received, int) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	timer := time.AfterFunc(within, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := from; ; i++ {
		for i >= len(p.got) {
			if time.Now().After(deadline) {
				p.t.Fatalf("no %s from sipgate within %v", what, within)
			}
			p.cond.Wait()
		}
		if match(p.got[i].msg) {
			return p.got[i], i
		}
	}
}

// count returns how many messages from index from on match accepts.
func (p *peer) count(from int, match func(sip.Message) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.got[min(from, len(p.got)):] {
		if match(r.msg) {
			n++
		}
	}
	return n
}

// mark is the index the next message will have.
func (p *peer) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// response matches a response with code to method with CSeq seq.
func response(code int, method string, seq uint32) func(sip.Message) bool {
	return func(m sip.Message) bool {
		res, ok := m.(*sip.Response)
		return ok && res.StatusCode == code && res.CSeq().SeqNo == seq && string(res.CSeq().MethodName) == method
	}
}

// request matches a request of sipgate's with method.
func request(method string) func(sip.Message) bool {
	return func(m sip.Message) bool {
		req, ok := m.(*sip.Request)
		return ok && string(req.Method) == method
	}
}

// answered sends the INVITE and waits for its 200, taking sipgate's tag; it does not ACK.
func (p *peer) answered(sdp string, extra ...string) *sip.Response {
	p.t.Helper()
	p.send(p.invite(sdp, extra...))
	r, _ := p.wait(0, testTimeout, "200 to the INVITE", response(200, "INVITE", 1))
	res := r.msg.(*sip.Response)
	p.toTag, _ = res.To().Params.Get("tag")
	return res
}

// confirmed places a call: INVITE, 200, ACK.
func (p *peer) confirmed(sdp string, extra ...string) {
	p.t.Helper()
	p.answered(sdp, extra...)
	p.send(p.ack(1, ""))
}

// rtpFrom counts the RTP packets that reach the caller's RTP socket within d, and their payload types.
func (p *peer) rtpFor(d time.Duration) (n int, pts map[uint8]int) {
	pts = map[uint8]int{}
	buf := make([]byte, 2048)
	deadline := time.Now().Add(d)
	for {
		p.rtp.SetReadDeadline(deadline)
		m, err := p.rtp.Read(buf)
		if err != nil {
			return n, pts
		}
		if m >= 12 {
			n++
			pts[buf[1]&0x7f]++
		}
	}
}

// info is an INFO carrying one key as application/dtmf-relay.
func (p *peer) info(key byte) string {
	return p.request("INFO", "application/dtmf-relay", fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", key))
}

// dialogCalls is the policy of the dialog tests: a short T1 so that 64·T1 passes in seconds, and PIN timers
// long enough never to end a call on their own.
func dialogCalls() CallConfig {
	cc := testCalls
	cc.T1 = 50 * time.Millisecond
	cc.FirstDigitTimeout, cc.InterDigitTimeout = 30*time.Second, 30*time.Second
	cc.NoRTPTimeout, cc.MaxIVRTime = 30*time.Second, time.Minute
	return cc
}

// pinCore is fakeCore that records the PINs it is asked about.
type pinCore struct {
	fakeCore
	mu   sync.Mutex
	pins []string
}

func (c *pinCore) ResolvePin(ctx context.Context, called, pin string, caller PINCaller) (Room, error) {
	c.mu.Lock()
	c.pins = append(c.pins, pin)
	c.mu.Unlock()
	return c.fakeCore.ResolvePin(ctx, called, pin, caller)
}

func (c *pinCore) asked() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.pins...)
}

// startDialogServer runs sipgate with a core that never admits anyone (callers stay in the IVR).
func startDialogServer(t *testing.T, cc CallConfig) (*running, *pinCore) {
	core := &pinCore{}
	return startServer(t, WithCore(core), WithCallConfig(cc), WithLogger(testLogger(t))), core
}
