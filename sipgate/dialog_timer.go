package sipgate

import (
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// sessionTimer is a call's session timer (RFC 4028), the loop's: armed with the INVITE's 2xx and re-armed by
// each refresh, so that a refresh costs a Reset. When it goes off, sipgate refreshes if it is the refresher;
// otherwise the session has expired.
type sessionTimer struct {
	c       *call
	p       sessionParams
	expires time.Time   // when the session expires unless refreshed
	t       *time.Timer // nil until first armed
	gen     uint64      // the arming that counts: a stale firing changes nothing
}

// set puts p in force as of now: a refresh starts the session interval again (RFC 4028 §10).
func (t *sessionTimer) set(p sessionParams) {
	t.p, t.expires = p, time.Now().Add(p.interval)
	t.arm(t.due())
}

// due is when the timer goes off next (RFC 4028 §10): halfway through the interval for the refresher; for
// the other side, before the session expires by the smaller of 32 seconds and a third of the interval.
func (t *sessionTimer) due() time.Time {
	if t.p.refresh {
		return t.expires.Add(-t.p.interval / 2)
	}
	return t.expires.Add(-min(32*time.Second, t.p.interval/3))
}

func (t *sessionTimer) arm(when time.Time) {
	t.stop()
	if t.p.interval == 0 {
		return
	}
	gen := t.gen
	t.t = t.c.after(time.Until(when), func() {
		if t.gen == gen {
			t.c.onSessionTimer()
		}
	})
}

func (t *sessionTimer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
	t.gen++
}

// retryIn re-arms the timer after d when that is before the session expires; false when it is not.
func (t *sessionTimer) retryIn(d time.Duration) bool {
	if time.Until(t.expires) < d+time.Second {
		return false
	}
	t.arm(time.Now().Add(d))
	return true
}

// uacRequest is sipgate's own request within the caller's dialog that awaits its final response: a session
// refresh.
type uacRequest struct {
	seq    uint32
	invite bool // a re-INVITE (else an UPDATE)
	offer  bool // it carries sipgate's offer
}

// onSessionTimer is the session timer going off (RFC 4028 §10). When the caller is the refresher, no
// refresh came in time: the session has expired. When sipgate is, it refreshes, unless a transaction of
// either side is under way (the refresh would be glare): then it tries again shortly.
func (c *call) onSessionTimer() {
	if c.dlg.state != dialogConfirmed {
		return
	}
	if !c.timer.p.refresh {
		c.end(OutcomeSessionExpired)
		return
	}
	if c.uac != nil || c.ack != nil || c.sdp.offerOut {
		if !c.timer.retryIn(c.srv.cc.T1) {
			c.end(OutcomeSessionExpired)
		}
		return
	}
	c.refreshSession()
}

// refreshSession sends the caller a session refresh: an UPDATE without an offer when the caller's INVITE
// allows UPDATE (RFC 3311 §5.1), as it leaves the media alone; otherwise a re-INVITE offering the session
// unchanged, same version (RFC 3264 §8). Either names sipgate the refresher.
func (c *call) refreshSession() {
	s := c.srv
	invite := !listed(c.dlg.invite, string(sip.UPDATE), "Allow")
	method := sip.UPDATE
	if invite {
		method = sip.INVITE
	}
	req := c.dlg.request(method)
	req.AppendHeader(sip.NewHeader("Session-Expires", seconds(c.timer.p.interval)+";refresher=uac"))
	req.AppendHeader(s.minSEHeader())
	req.AppendHeader(sip.NewHeader("Supported", optionTimer))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("User-Agent", s.userAgent))
	if invite {
		req.SetBody(c.sdp.answer)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	u := &uacRequest{seq: req.CSeq().SeqNo, invite: invite, offer: invite}
	c.uac = u
	c.send(req, func(res *sip.Response, err error) { c.refreshed(u, res, err) })
}

// refreshed takes the caller's answer to sipgate's refresh. A 2xx puts its session timer in force; to a
// re-INVITE it is acknowledged, its answer applied, and each retransmission of it acknowledged again
// (§13.2.2.4). A 491 (glare) is retried after 0–2 s, as the side that does not own the Call-ID (§14.1);
// a timeout, 408 or 481 ends the call (RFC 4028 §10); another refusal is retried while the session lasts.
func (c *call) refreshed(u *uacRequest, res *sip.Response, err error) {
	if res != nil && res.IsSuccess() && u.invite {
		if err := c.srv.client.WriteRequest(c.dlg.ack(u.seq), addVia); err != nil {
			c.log.Info("ack of the refresh failed", "error", err)
		}
	}
	if c.uac != u { // a retransmitted 2xx, already taken
		return
	}
	c.uac = nil
	switch {
	case c.dlg.state != dialogConfirmed:
	case err == nil && res.IsSuccess():
		c.timer.set(c.timer.p.answered(res, c.srv.cc.MinSE))
		if u.invite {
			if ans, err := media.ParseBridgeAnswer(res.Body(), c.first); err == nil {
				c.media.SetRemote(ans.Remote)
				c.media.SetRTCPRemote(ans.RTCP)
				c.media.SetHold(ans.Hold)
			}
		}
	case err == nil && res.StatusCode == sip.StatusRequestPending:
		c.log.Info("session refresh crossed the caller's request, trying again")
		if !c.timer.retryIn(rand.N(2 * time.Second)) {
			c.end(OutcomeSessionExpired)
		}
	case err == nil && res.StatusCode != sip.StatusRequestTimeout && res.StatusCode != sip.StatusCallTransactionDoesNotExists &&
		c.timer.retryIn(time.Until(c.timer.expires)/2):
		c.log.Info("session refresh refused, trying again", "status", res.StatusCode)
	default:
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		c.log.Info("session refresh failed", "status", status, "error", err)
		c.end(OutcomeSessionExpired)
	}
}
