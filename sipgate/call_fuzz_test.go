package sipgate

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// FuzzCallEvents plays random interleavings of the caller's ACK, BYE, re-INVITE, UPDATE, INFO and CANCEL,
// retransmissions, reordered CSeqs and answers to sipgate's own requests against one call. Whatever the
// order, sipgate must not panic, and the call must end cleanly: a final response to the INVITE, a BYE
// answered either way, no call, slot or goroutine left, and its RTP port free again.
func FuzzCallEvents(f *testing.F) {
	for _, seed := range []string{
		"\x00\x05\x05\x01",             // ACK, two INFOs, BYE
		"\x01",                         // BYE before the ACK
		"\x06",                         // CANCEL after the 200
		"\x02\x00\x08\x07\x01",         // re-INVITE before the ACK, ACKs, a retransmission, BYE
		"\x00\x03\x0b\x08",             // offerless re-INVITE, answered in its ACK
		"\x00\x09\x05\x05\x0a\x05",     // a CSeq gap that fills late
		"\x00\x04\x02\x07\x07\x0b\x01", // UPDATE, re-INVITE, retransmissions
		"",                             // nothing at all: the 200 goes unacknowledged
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 24 {
			ops = ops[:24]
		}
		before := runtime.NumGoroutine()
		cc := dialogCalls()
		cc.T1 = 10 * time.Millisecond
		cc.RTPPortMin, cc.RTPPortMax = 32600, 32699 // its own, so that the port check sees only this call
		srv, err := New("127.0.0.1:0", WithCore(&pinCore{}), WithCallConfig(cc), WithLogger(discard))
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.ListenAndServe(ctx) }()
		<-srv.Ready()
		p := newPeer(t, srv.Addr())
		invite := p.invite(p.offer("0", "sendrecv"))
		p.send(invite)
		r, _ := p.wait(0, testTimeout, "a final response to the INVITE", func(m sip.Message) bool {
			res, ok := m.(*sip.Response)
			return ok && res.StatusCode >= 200 && res.CSeq().MethodName == sip.INVITE
		})
		ok := r.msg.(*sip.Response)
		p.toTag, _ = ok.To().Params.Get("tag")
		port := rtpPort(ok.Body())
		playEvents(p, ops, invite)

		p.send(p.request("BYE", "", ""))
		deadline := time.Now().Add(64*cc.T1 + testTimeout)
		for srv.inflight.count() > 0 && time.Now().Before(deadline) { // answer sipgate's BYE, if it sent one
			p.answerAll(sip.BYE)
			time.Sleep(10 * time.Millisecond)
		}
		(&running{Server: srv}).idle(t)
		stop()
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		eventually(t, "the goroutines of the call gone", func() bool { return runtime.NumGoroutine() <= before+2 })
		if port != 0 {
			c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				t.Fatalf("RTP port %d still taken after the call: %v", port, err)
			}
			c.Close()
		}
	})
}

// playEvents sends the caller's side of ops, one byte per event.
func playEvents(p *peer, ops []byte, invite string) {
	last, lastInvite := invite, uint32(1)
	for _, op := range ops {
		var msg string
		switch op % 12 {
		case 0:
			msg = p.ack(1, "")
		case 1:
			msg = p.request("BYE", "", "")
		case 2:
			msg = p.request("INVITE", "application/sdp", p.offer("0", "sendrecv"))
			lastInvite = p.cseq
		case 3:
			msg = p.request("INVITE", "", "")
			lastInvite = p.cseq
		case 4:
			msg = p.request("UPDATE", "application/sdp", p.offer("0", "sendonly"))
		case 5:
			msg = p.info("0123456789#*"[int(op)%12])
		case 6:
			msg = strings.Replace(strings.Replace(invite, "INVITE sip:", "CANCEL sip:", 1), "CSeq: 1 INVITE", "CSeq: 1 CANCEL", 1)
		case 7:
			msg = last
		case 8:
			msg = p.ack(lastInvite, "")
		case 9:
			p.cseq++ // a request that never comes: the next one waits for it, then T1 passes
			continue
		case 10:
			time.Sleep(time.Duration(op%5) * 5 * time.Millisecond)
			continue
		case 11:
			if lastInvite != 1 {
				msg = p.ack(lastInvite, p.offer("0", "sendrecv"))
			} else {
				p.answerAll(sip.INVITE, sip.UPDATE, sip.BYE)
				continue
			}
		}
		p.send(msg)
		last = msg
	}
}

// answerAll answers 200 every request of methods that sipgate has sent so far.
func (p *peer) answerAll(methods ...sip.RequestMethod) {
	p.mu.Lock()
	var reqs []*sip.Request
	for _, r := range p.got {
		if req, ok := r.msg.(*sip.Request); ok {
			for _, m := range methods {
				if req.Method == m {
					reqs = append(reqs, req)
				}
			}
		}
	}
	p.mu.Unlock()
	for _, req := range reqs {
		body := ""
		if req.IsInvite() {
			body = p.offer("0", "sendrecv")
		}
		p.send(p.answer(req, 200, body))
	}
}

// rtpPort reads the m=audio port of an SDP body, 0 when there is none.
func rtpPort(sdp []byte) int {
	for line := range strings.SplitSeq(string(sdp), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "m=audio "); ok {
			port, _, _ := strings.Cut(rest, " ")
			n, _ := strconv.Atoi(port)
			return n
		}
	}
	return 0
}
