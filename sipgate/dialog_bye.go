package sipgate

import (
	"context"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// end ends the call with outcome o, on the loop: the script's context ends with o as its cause, and the
// dialog is hung up — with BYE once confirmed; while the 2xx awaits its ACK, after the ACK (§15: the callee
// must not send BYE before). Ending twice changes nothing.
func (c *call) end(o Outcome) {
	c.cancel(endedBy(o))
	switch c.dlg.state {
	case dialogEarly: // the script has not answered: it sees the context and rejects or gives up
	case dialogAnswered:
		if c.byeLater == 0 {
			c.byeLater = o
		}
	case dialogConfirmed:
		c.sendBye(o)
	}
}

// sendBye hangs up the caller (§15.1.1), saying why in a Reason header (RFC 3326); the dialog ends with the
// BYE's final response or its transaction's timeout, either way (§15.1.1).
func (c *call) sendBye(o Outcome) {
	c.dlg.state = dialogEnding
	c.timer.stop()
	c.watch.stop()
	req := c.dlg.request(sip.BYE)
	req.AppendHeader(reasonHeader(o))
	req.AppendHeader(sip.NewHeader("User-Agent", c.srv.userAgent))
	c.send(req, func(res *sip.Response, err error) {
		if c.dlg.state == dialogEnded {
			return
		}
		if err != nil {
			c.log.Info("bye failed", "error", err)
		}
		c.over()
	})
}

// over marks the dialog ended, once.
func (c *call) over() {
	if c.dlg.state != dialogEnded {
		c.dlg.state = dialogEnded
		close(c.gone)
	}
}

// reasonHeader says why sipgate hangs up (RFC 3326 §2): Q.850 cause 16, normal clearing, with the outcome as
// text; cause 41, temporary failure, when sipgate or a service behind it failed, so that a carrier can tell
// the caller to call again.
func reasonHeader(o Outcome) sip.Header {
	cause := 16
	switch o {
	case OutcomeCoreError, OutcomeLiveKitError, OutcomeShutdown:
		cause = 41
	}
	return sip.NewHeader("Reason", "Q.850;cause="+strconv.Itoa(cause)+`;text="`+o.String()+`"`)
}

// onBye ends the call at the caller's request (§15.1.2), before the ACK too (a BYE may overtake it): 200,
// and the dialog is over.
func (c *call) onBye(in inbound) {
	c.srv.respond(in.req, in.tx, sip.StatusOK, "OK")
	c.noteBye(in.req)
	if c.dlg.state == dialogEarly { // a BYE in the early dialog ends the INVITE too (§15.1.2)
		c.srv.respond(c.dlg.invite, c.tx, sip.StatusRequestTerminated, "Request Terminated")
	}
	if c.ack != nil {
		c.ack.timer.Stop()
		c.ack = nil
	}
	if c.dlg.state == dialogAnswered {
		close(c.confirmed) // nothing will confirm it now; the script sees its context end
	}
	c.cancel(context.Canceled) // the caller hung up: no outcome of its own
	c.timer.stop()
	c.watch.stop()
	c.over()
}
