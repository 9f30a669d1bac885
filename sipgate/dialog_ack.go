package sipgate

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// pendingAck is a 2xx sipgate sent to an INVITE of the caller (the first or a re-INVITE) that awaits its
// ACK. The UAS core, not the transaction, retransmits it (§13.3.1.4, RFC 6026 §8.1): after T1, then at
// intervals doubling up to T2, until the ACK whose CSeq is the INVITE's; after 64·T1 without one the dialog
// counts as confirmed, and the session is ended with BYE.
type pendingAck struct {
	seq      uint32
	res      *sip.Response
	tx       sip.ServerTransaction
	sent     time.Time
	interval time.Duration
	timer    *time.Timer
	offered  bool // the 2xx carried sipgate's offer (the INVITE had none): the answer comes in the ACK
	initial  bool
}

// acceptInvite sends 180 Ringing and the 200 OK to the caller's INVITE. A CANCEL that came first wins:
// sipgo has answered it 487, and the call ends without a dialog.
func (c *call) acceptInvite(start time.Time) {
	s, d := c.srv, c.dlg
	if c.cancelled.Load() || d.state != dialogEarly {
		c.endWithoutDialog()
		return
	}
	ringing := sip.NewResponseFromRequest(d.invite, sip.StatusRinging, "Ringing", nil)
	ringing.AppendHeader(sip.NewHeader("Server", s.userAgent))
	ringing.AppendHeader(d.contact.Clone())
	if err := c.tx.Respond(ringing); err != nil {
		c.log.Info("call not answered", "error", err)
		c.endWithoutDialog()
		return
	}
	res := sip.NewSDPResponseFromRequest(d.invite, c.sdp.answer)
	c.okHeaders(res, c.timer0)
	s.metrics.setup.Observe(time.Since(start).Seconds())
	c.timer.set(c.timer0)
	c.sendOK(c.tx, res, d.invite.CSeq().SeqNo, false, true)
}

// endWithoutDialog ends a call whose INVITE got no 2xx (cancelled, or its transaction failed).
func (c *call) endWithoutDialog() {
	c.cancel(endedBy(OutcomeHangup))
	c.over()
}

// okHeaders completes a 2xx to an INVITE or UPDATE of the caller: Contact (§12.1.1), Server, Allow and
// Supported (§13.3.1.4; they tell the caller it may refresh with UPDATE, RFC 3311 §5.1), and the session
// timer p grants (RFC 4028 §9).
func (c *call) okHeaders(res *sip.Response, p sessionParams) {
	res.AppendHeader(c.dlg.contact.Clone())
	res.AppendHeader(sip.NewHeader("Server", c.srv.userAgent))
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Supported", optionTimer))
	for _, h := range p.headers() {
		res.AppendHeader(h)
	}
}

// sendOK sends res, the 2xx to the caller's INVITE numbered seq, and keeps sending it until its ACK.
func (c *call) sendOK(tx sip.ServerTransaction, res *sip.Response, seq uint32, offered, initial bool) {
	c.srv.metrics.observeResponse(sip.INVITE, sip.StatusOK)
	if err := tx.Respond(res); err != nil {
		c.log.Info("2xx not sent", "error", err)
	}
	if initial {
		c.dlg.state = dialogAnswered
	}
	p := &pendingAck{seq: seq, res: res, tx: tx, sent: time.Now(), interval: c.srv.cc.T1, offered: offered, initial: initial}
	c.ack = p
	p.timer = c.after(p.interval, func() { c.retransmitOK(p) })
}

// retransmitOK sends p's 2xx again, or gives up on its ACK after 64·T1.
func (c *call) retransmitOK(p *pendingAck) {
	if c.ack != p {
		return // acknowledged meanwhile
	}
	t1 := c.srv.cc.T1
	left := 64*t1 - time.Since(p.sent)
	if left <= 0 {
		c.ackTimedOut(p)
		return
	}
	// Over UDP the transaction lives as long (Timer L, RFC 6026); over TCP it is gone, and the 2xx goes
	// straight to the transport, on the caller's connection.
	if err := p.tx.Respond(p.res); err != nil {
		if err := c.srv.sip.WriteResponse(p.res); err != nil {
			c.log.Debug("2xx retransmission failed", "error", err)
		}
	}
	p.interval = min(2*p.interval, 8*t1) // T2 = 4 s when T1 = 500 ms
	p.timer = c.after(min(p.interval, left), func() { c.retransmitOK(p) })
}

// onAck takes an ACK of the caller. Only the ACK of the pending 2xx counts, whatever came in between (an
// UPDATE or INFO before the ACK raises the remote CSeq, not the INVITE's, §13.2.2.4); others are stale
// retransmissions and change nothing. An ACK is never answered.
func (c *call) onAck(req *sip.Request) {
	c.srv.metrics.observe(req.Method, statusNone)
	if p := c.ack; p != nil && req.CSeq().SeqNo == p.seq {
		c.acknowledged(p, req.Body())
	}
}

// acknowledged ends p's retransmissions: its ACK came, with answer when p carried an offer.
func (c *call) acknowledged(p *pendingAck, answer []byte) {
	p.timer.Stop()
	c.ack = nil
	if p.offered {
		c.applyAnswer(answer)
	}
	if p.initial {
		c.confirm()
	}
}

// ackTimedOut confirms the dialog without the ACK and ends the session with BYE (§13.3.1.4).
func (c *call) ackTimedOut(p *pendingAck) {
	c.ack = nil
	c.log.Info("no ack for the 2xx", "cseq", p.seq)
	if p.initial {
		c.confirm()
	}
	c.end(OutcomeNoACK)
}

// confirm moves the dialog to confirmed: the script goes on, the media watchdog starts, and a BYE that was
// waiting for the ACK (§15) leaves.
func (c *call) confirm() {
	if c.dlg.state != dialogAnswered {
		return
	}
	c.dlg.state = dialogConfirmed
	close(c.confirmed)
	c.watch.start(c)
	if c.byeLater != 0 {
		c.end(c.byeLater)
	}
}
