package sipgate

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/meetline/meetline/sipgate/media"
)

// Dialog regressions of issue 15, each driven by a raw UDP peer (peer_test.go) that controls every
// retransmission, loss and ordering, against a real sipgate whose core never admits anyone: the calls stay
// in the IVR, where every dialog rule applies as it does when bridged.

// TestLostAckEndsWithBye: with no ACK, the 200 is retransmitted at T1, 2·T1, 4·T1, then every T2 = 8·T1
// (RFC 3261 §13.3.1.4), and after 64·T1 the call is hung up with BYE rather than dropped silently.
func TestLostAckEndsWithBye(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.T1 = 100 * time.Millisecond
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	p.answered(p.offer("0", "sendrecv"))
	bye, _ := p.wait(0, 64*cc.T1+testTimeout, "BYE after the lost ACK", request("BYE"))
	p.send(p.answer(bye.msg.(*sip.Request), 200, ""))

	var at []time.Time
	p.mu.Lock()
	for _, r := range p.got {
		if response(200, "INVITE", 1)(r.msg) {
			at = append(at, r.at)
		}
	}
	p.mu.Unlock()
	// Retransmissions T1, 2·T1, 4·T1, 8·T1 (= T2), T2 apart: at these offsets from the first 200.
	want := []time.Duration{cc.T1, 3 * cc.T1, 7 * cc.T1, 15 * cc.T1, 23 * cc.T1}
	if len(at) < len(want)+1 {
		t.Fatalf("%d transmissions of the 200, want at least %d", len(at), len(want)+1)
	}
	for i, w := range want {
		// Early is the defect (a fixed interval, no doubling); a loaded machine only makes them late.
		if got := at[i+1].Sub(at[0]); got < w*9/10 || got > w+3*cc.T1 {
			t.Errorf("retransmission %d at %v, want about %v", i+1, got, w)
		}
	}
	if took := bye.at.Sub(at[0]); took < 64*cc.T1*9/10 {
		t.Errorf("BYE %v after the 200, before 64·T1 = %v", took, 64*cc.T1)
	}
	if r := bye.msg.(*sip.Request).GetHeader("Reason"); r == nil || !strings.Contains(r.Value(), "no_ack") {
		t.Errorf("BYE Reason = %v, want one naming no_ack", r)
	}
	wantMetrics(t, srv, map[string]string{`sipgate_calls_total{outcome="no_ack"}`: "1"})
	srv.idle(t)
}

// TestAckAfterUpdateConfirms: an UPDATE that overtakes the ACK raises the caller's CSeq; the ACK, which
// carries the INVITE's, still confirms the call: the 200 stops and no BYE comes.
func TestAckAfterUpdateConfirms(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	p.answered(p.offer("0", "sendrecv"))
	p.send(p.request("UPDATE", "", ""))
	p.wait(0, testTimeout, "200 to the UPDATE", response(200, "UPDATE", 2))
	p.send(p.ack(1, ""))
	time.Sleep(2 * cc.T1) // a retransmission already under way may still come
	mark := p.mark()
	time.Sleep(64*cc.T1 + time.Second)
	if n := p.count(mark, response(200, "INVITE", 1)); n != 0 {
		t.Errorf("the 200 went on %d times after its ACK", n)
	}
	if n := p.count(0, request("BYE")); n != 0 {
		t.Errorf("sipgate hung up a confirmed call (%d BYE)", n)
	}
}

// TestHoldOutlivesNoRTPTimeout: a caller that holds the call (a=inactive, a=sendonly) sends no RTP; the
// no-RTP watchdog lets it be, and the hold timeout, longer, ends the call.
func TestHoldOutlivesNoRTPTimeout(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"inactive", "sendonly"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			cc := dialogCalls()
			cc.NoRTPTimeout, cc.HoldTimeout = 600*time.Millisecond, 3*time.Second
			srv, _ := startDialogServer(t, cc)
			p := newPeer(t, srv.Addr())
			p.confirmed(p.offer("0", "sendrecv"))
			p.send(p.request("INVITE", "application/sdp", p.offer("0", dir)))
			ok, _ := p.wait(0, testTimeout, "200 to the hold", response(200, "INVITE", 2))
			if !strings.Contains(string(ok.msg.Body()), map[string]string{"inactive": "a=inactive", "sendonly": "a=recvonly"}[dir]) {
				t.Errorf("answer to a %s offer:\n%s", dir, ok.msg.Body())
			}
			p.send(p.ack(2, ""))
			start := time.Now()
			bye, _ := p.wait(0, testTimeout, "BYE at the hold timeout", request("BYE"))
			p.send(p.answer(bye.msg.(*sip.Request), 200, ""))
			if held := bye.at.Sub(start); held < cc.HoldTimeout*9/10 {
				t.Errorf("BYE after %v on hold: the no-RTP watchdog (%v) fired", held, cc.NoRTPTimeout)
			}
			wantMetrics(t, srv, map[string]string{`sipgate_calls_total{outcome="hold_timeout"}`: "1"})
		})
	}
}

// TestOfferlessResume: after a hold, a re-INVITE without SDP (delayed offer) gets a fresh sendrecv offer on
// the call's codec, the answer in the ACK is applied, and the caller hears sipgate again.
func TestOfferlessResume(t *testing.T) {
	t.Parallel()
	srv, core := startDialogServer(t, dialogCalls())
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	p.send(p.request("INVITE", "application/sdp", p.offer("0", "sendonly")))
	p.wait(0, testTimeout, "200 to the hold", response(200, "INVITE", 2))
	p.send(p.ack(2, ""))
	p.rtpFor(300 * time.Millisecond) // what was on its way
	p.send(p.info('1'))
	p.send(p.info('#'))
	eventually(t, "the first PIN", func() bool { return len(core.asked()) == 1 })
	if n, _ := p.rtpFor(time.Second); n != 0 {
		t.Errorf("%d RTP packets to a caller on hold", n)
	}

	p.send(p.request("INVITE", "", ""))
	r, _ := p.wait(0, testTimeout, "200 to the offerless re-INVITE", response(200, "INVITE", 5))
	offer := string(r.msg.Body())
	if !strings.Contains(offer, "a=sendrecv") || !strings.Contains(offer, "RTP/AVP 0 101") {
		t.Fatalf("offer in the 200 is not sendrecv on PCMU with telephone-event:\n%s", offer)
	}
	p.send(p.ack(5, p.offer("0", "sendrecv")))
	p.send(p.info('2'))
	p.send(p.info('#'))
	if n, _ := p.rtpFor(2 * time.Second); n == 0 {
		t.Error("no RTP after the resume: the answer in the ACK was not applied")
	}
}

// TestReInviteKeepsTheCodec: a re-INVITE that offers other codecs too is answered on the call's codec and
// payload type only, and sipgate keeps sending it; one without that codec gets 488 and changes nothing.
func TestReInviteKeepsTheCodec(t *testing.T) {
	t.Parallel()
	srv, core := startDialogServer(t, dialogCalls())
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	p.send(p.request("INVITE", "application/sdp", p.offer("8 0", "sendrecv")))
	r, _ := p.wait(0, testTimeout, "200 to the re-INVITE", response(200, "INVITE", 2))
	if body := string(r.msg.Body()); !strings.Contains(body, "RTP/AVP 0 101") || strings.Contains(body, "PCMA") {
		t.Errorf("answer to 8 0 101 on a PCMU call:\n%s", body)
	}
	p.send(p.ack(2, ""))
	p.send(p.request("INVITE", "application/sdp", p.offer("8", "sendrecv")))
	p.wait(0, testTimeout, "488 to an offer without PCMU", response(488, "INVITE", 3))
	p.send(p.ack(3, ""))
	p.rtpFor(300 * time.Millisecond)
	p.send(p.info('1'))
	p.send(p.info('#'))
	eventually(t, "the PIN", func() bool { return len(core.asked()) == 1 })
	n, pts := p.rtpFor(time.Second)
	if n == 0 || pts[0] != n {
		t.Errorf("RTP after the re-INVITEs: %d packets, payload types %v; want all PCMU (0)", n, pts)
	}
}

// TestLargeOKDelivered: an INVITE that crossed proxies carries Record-Routes the 200 must echo (§12.1.1);
// over 1300 bytes, it still goes out by UDP (§18.1.1 limits requests, not responses), and the BYE follows
// the route set.
func TestLargeOKDelivered(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.PINAttempts = 1
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	var rr []string
	for i := range 8 {
		rr = append(rr, fmt.Sprintf("Record-Route: <sip:%s;lr;ftag=%s;did=%02d%s>", p.addr(), p.tag, i, strings.Repeat("x", 120)))
	}
	p.send(p.invite(p.offer("0", "sendrecv"), rr...))
	r, _ := p.wait(0, testTimeout, "200 with 8 Record-Routes", response(200, "INVITE", 1))
	p.toTag, _ = r.msg.(*sip.Response).To().Params.Get("tag")
	if r.size <= 1300 {
		t.Fatalf("the 200 is %d bytes; the test wants one over 1300", r.size)
	}
	if got := len(r.msg.GetHeaders("Record-Route")); got != 8 {
		t.Errorf("the 200 echoes %d Record-Routes, want 8", got)
	}
	p.send(p.ack(1, ""))
	p.send(p.info('1'))
	p.send(p.info('#'))
	bye, _ := p.wait(0, testTimeout, "BYE after the last attempt", request("BYE"))
	if routes := bye.msg.GetHeaders("Route"); len(routes) != 8 || !strings.Contains(routes[0].Value(), "did=00") {
		t.Errorf("BYE carries %d Route headers (first %v), want the 8 of the route set in order", len(routes), routes)
	}
	p.send(p.answer(bye.msg.(*sip.Request), 200, ""))
}

// TestReInviteOKRetransmitted: the 200 to a re-INVITE is sent again until its ACK, like the first one.
func TestReInviteOKRetransmitted(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	p.send(p.request("INVITE", "application/sdp", p.offer("0", "sendrecv")))
	p.wait(0, testTimeout, "200 to the re-INVITE", response(200, "INVITE", 2))
	_, i := p.wait(0, testTimeout, "a retransmission", response(200, "INVITE", 2))
	p.wait(i+1, testTimeout, "another retransmission", response(200, "INVITE", 2))
	p.send(p.ack(2, ""))
	time.Sleep(2 * cc.T1)
	mark := p.mark()
	time.Sleep(16 * cc.T1)
	if n := p.count(mark, response(200, "INVITE", 2)); n != 0 {
		t.Errorf("the 200 went on %d times after its ACK", n)
	}
	if n := p.count(0, request("BYE")); n != 0 {
		t.Errorf("sipgate hung up (%d BYE)", n)
	}
}

// TestTargetRefresh: a re-INVITE with a new Contact moves the remote target (§12.2.2): the BYE goes there.
func TestTargetRefresh(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.PINAttempts = 1
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	moved := p.listen() // the SBC the call fails over to
	p.send(p.request("INVITE", "application/sdp", p.offer("0", "sendrecv"), "Contact: <sip:caller@"+moved.LocalAddr().String()+">"))
	p.wait(0, testTimeout, "200 to the re-INVITE", response(200, "INVITE", 2))
	p.send(p.ack(2, ""))
	p.send(p.info('1'))
	p.send(p.info('#'))
	bye, _ := p.wait(0, testTimeout, "BYE", request("BYE"))
	if bye.on != moved {
		t.Errorf("BYE went to %v, want the refreshed target %v", bye.on.LocalAddr(), moved.LocalAddr())
	}
	if uri := bye.msg.(*sip.Request).Recipient; uri.Port != moved.LocalAddr().(*net.UDPAddr).Port {
		t.Errorf("BYE Request-URI %v, want the new Contact", uri.String())
	}
	p.send(p.answer(bye.msg.(*sip.Request), 200, ""))
}

// TestInfoBurst: eleven INFOs sent back to back, one of them reordered and one lost then retransmitted, are
// all answered 200 and their digits taken once each, in CSeq order.
func TestInfoBurst(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.T1 = 200 * time.Millisecond
	srv, core := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	keys := "1234567890#"
	infos := make([]string, len(keys))
	for i := range keys {
		infos[i] = p.info(keys[i])
	}
	order := []int{0, 1, 3, 2, 4, 6, 7, 8, 9, 10} // 3 before 2; 5 lost
	for _, i := range order {
		p.send(infos[i])
	}
	time.Sleep(cc.T1 / 4)
	p.send(infos[5]) // its retransmission, within T1
	for seq := uint32(2); seq < uint32(2+len(keys)); seq++ {
		p.wait(0, testTimeout, fmt.Sprintf("200 to INFO %d", seq), response(200, "INFO", seq))
	}
	eventually(t, "the PIN", func() bool { return len(core.asked()) == 1 })
	if got := core.asked()[0]; got != "1234567890" {
		t.Errorf("PIN %q, want 1234567890", got)
	}
	wantMetrics(t, srv, map[string]string{`sipgate_dtmf_digits_total{method="info"}`: "11"})
}

// TestGlare: while sipgate's session refresh re-INVITE is under way, the caller's re-INVITE gets 491
// (§14.2); the caller's 200 to sipgate's re-INVITE, sent again, is acknowledged again (§13.2.2.4).
func TestGlare(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.MinSE = time.Second
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	// Session-Expires 2 s with sipgate as refresher and no UPDATE in Allow: sipgate refreshes by re-INVITE
	// after a second.
	p.confirmed(p.offer("0", "sendrecv"), "Session-Expires: 2;refresher=uas", "Supported: timer", "Allow: INVITE, ACK, BYE, CANCEL")
	ri, _ := p.wait(0, testTimeout, "sipgate's refresh re-INVITE", request("INVITE"))
	refresh := ri.msg.(*sip.Request)
	p.send(p.request("INVITE", "application/sdp", p.offer("0", "sendrecv")))
	p.wait(0, testTimeout, "491 to the crossing re-INVITE", response(491, "INVITE", 2))
	p.send(p.ack(2, ""))

	ok := p.answer(refresh, 200, p.offer("0", "sendrecv"))
	mark := p.mark()
	p.send(ok)
	_, i := p.wait(mark, testTimeout, "ACK of the refresh", request("ACK"))
	p.send(ok) // the ACK was lost: the 200 comes again
	ack, _ := p.wait(i+1, testTimeout, "the ACK again", request("ACK"))
	if seq := ack.msg.(*sip.Request).CSeq().SeqNo; seq != refresh.CSeq().SeqNo {
		t.Errorf("ACK CSeq %d, want the refresh's %d", seq, refresh.CSeq().SeqNo)
	}
}

// TestInitialHoldHonoured: an INVITE that offers a=sendonly gets a=recvonly, and no prompt is sent to it.
func TestInitialHoldHonoured(t *testing.T) {
	t.Parallel()
	srv, _ := startDialogServer(t, dialogCalls())
	p := newPeer(t, srv.Addr())
	res := p.answered(p.offer("0", "sendonly"))
	if !strings.Contains(string(res.Body()), "a=recvonly") {
		t.Errorf("answer to a sendonly offer:\n%s", res.Body())
	}
	p.send(p.ack(1, ""))
	if n, _ := p.rtpFor(1500 * time.Millisecond); n != 0 {
		t.Errorf("%d RTP packets sent to a caller whose offer was sendonly", n)
	}
}

// TestShutdownRetransmitsBye: when the drain times out, live calls are hung up, and their BYEs are sent again
// until answered before the listeners close.
func TestShutdownRetransmitsBye(t *testing.T) {
	t.Parallel()
	srv, _ := startDialogServer(t, dialogCalls())
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	first, i := p.wait(0, testTimeout, "BYE at shutdown", request("BYE")) // lost
	again, _ := p.wait(i+1, testTimeout, "the BYE again", request("BYE"))
	if b1, b2 := first.msg.(*sip.Request).Via().Params, again.msg.(*sip.Request).Via().Params; b1.String() != b2.String() {
		t.Errorf("second BYE is another transaction (%v, %v), not a retransmission", b1, b2)
	}
	p.send(p.answer(again.msg.(*sip.Request), 200, ""))
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("Shutdown did not return")
	}
	if r := again.msg.(*sip.Request).GetHeader("Reason"); r == nil || !strings.Contains(r.Value(), "shutdown") {
		t.Errorf("BYE Reason = %v, want one naming shutdown", r)
	}
}

// TestRTCPPortBound: RTCP's port, the RTP port + 1 (RFC 3550 §11), is sipgate's for the call (a caller
// sending reports there gets no ICMP unreachable), and a=rtcp-mux is answered only when offered (RFC 5761).
func TestRTCPPortBound(t *testing.T) {
	t.Parallel()
	srv, _ := startDialogServer(t, dialogCalls())
	for _, mux := range []bool{false, true} {
		p := newPeer(t, srv.Addr())
		offer := p.offer("0", "sendrecv")
		if mux {
			offer += "a=rtcp-mux\r\n"
		}
		res := p.answered(offer)
		p.send(p.ack(1, ""))
		if got := strings.Contains(string(res.Body()), "a=rtcp-mux"); got != mux {
			t.Errorf("offer with rtcp-mux %v: answer has it %v", mux, got)
		}
		port := rtpPort(res.Body())
		if c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1}); err == nil {
			c.Close()
			t.Errorf("RTCP port %d is not bound during the call", port+1)
		}
		p.send(p.request("BYE", "", ""))
		p.wait(0, testTimeout, "200 to the BYE", response(200, "BYE", p.cseq))
	}
	srv.idle(t)
}

// TestInbandPIN: a caller whose offer has no telephone-event types its PIN as tones in the audio, and the
// PIN reaches the core.
func TestInbandPIN(t *testing.T) {
	t.Parallel()
	srv, core := startDialogServer(t, dialogCalls())
	p := newPeer(t, srv.Addr())
	offer := strings.Replace(p.offer("0", "sendrecv"), "RTP/AVP 0 101", "RTP/AVP 0", 1)
	res := p.answered(offer)
	p.send(p.ack(1, ""))
	if strings.Contains(string(res.Body()), "telephone-event") {
		t.Fatalf("answer offers telephone-event the caller did not:\n%s", res.Body())
	}
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(rtpPort(res.Body())))
	var audio []byte
	for _, k := range []byte("4321#") {
		audio = append(audio, dtmfTone(k, 80)...)
		audio = append(audio, bytes.Repeat([]byte{0xff}, 80*8)...) // μ-law silence
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 0x1234}}
	for i := 0; i+160 <= len(audio); i += 160 {
		pkt.SequenceNumber, pkt.Timestamp, pkt.Payload = uint16(i/160), uint32(i), audio[i:i+160]
		b, _ := pkt.Marshal()
		p.rtp.WriteToUDPAddrPort(b, dst)
		time.Sleep(2 * time.Millisecond)
	}
	eventually(t, "the PIN typed as tones", func() bool { return len(core.asked()) == 1 })
	if got := core.asked()[0]; got != "4321" {
		t.Errorf("PIN %q from the tones, want 4321", got)
	}
	wantMetrics(t, srv, map[string]string{`sipgate_dtmf_digits_total{method="inband"}`: "5"})
}

// dtmfTone is ms milliseconds of key's two tones (ITU-T Q.23) in μ-law, each tone at about -10 dBm0.
func dtmfTone(key byte, ms int) []byte {
	low := [4]float64{697, 770, 852, 941}
	high := [4]float64{1209, 1336, 1477, 1633}
	i := strings.IndexByte("123A456B789C*0#D", key)
	out := make([]byte, ms*8)
	for n := range out {
		t := float64(n) / 8000
		v := 7000*math.Sin(2*math.Pi*low[i/4]*t) + 7000*math.Sin(2*math.Pi*high[i%4]*t)
		out[n] = media.EncodeULaw(int16(v))
	}
	return out
}

// TestInDialogOptionsKeepsTheOrder: an SBC's in-dialog OPTIONS keepalive, or a method sipgate does not
// implement, takes a CSeq of the dialog: it is answered in its turn, and the request after it does not wait
// for a gap to fill.
func TestInDialogOptionsKeepsTheOrder(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.T1 = 3 * time.Second // a request that waited for a gap would wait this long
	srv, _ := startDialogServer(t, cc)
	p := newPeer(t, srv.Addr())
	p.confirmed(p.offer("0", "sendrecv"))
	p.send(p.request("OPTIONS", "", ""))
	p.send(p.request("MESSAGE", "text/plain", "hello"))
	start := time.Now()
	p.send(p.info('1'))
	p.wait(0, testTimeout, "200 to the OPTIONS", response(200, "OPTIONS", 2))
	p.wait(0, testTimeout, "405 to the MESSAGE", response(405, "MESSAGE", 3))
	r, _ := p.wait(0, testTimeout, "200 to the INFO", response(200, "INFO", 4))
	if took := r.at.Sub(start); took > cc.T1/2 {
		t.Errorf("INFO answered after %v: it waited for a gap", took)
	}
}
