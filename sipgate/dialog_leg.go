package sipgate

import (
	"github.com/emiago/sipgo/sip"
)

// onLegRequest answers a request of LiveKit within a bridged call's leg, on the call's loop: a BYE ends the
// leg (and the bridge, which then hangs up the caller); a re-INVITE, or an UPDATE with an offer (a refresh,
// a hold, a new address), is answered on its own, without involving the caller, since the relay joins the
// two streams and the codec does not change; an UPDATE without an offer (a session refresh) gets a bare 200
// (RFC 3311 §5.2).
func (c *call) onLegRequest(l *leg, req *sip.Request, tx sip.ServerTransaction) {
	s := c.srv
	contact := s.dialogs[s.lk.Transport].ContactHDR.Clone()
	switch {
	case req.Method == sip.BYE:
		if err := l.dlg.ReadBye(req, tx); err != nil {
			s.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error")
			return
		}
		s.metrics.observeResponse(req.Method, sip.StatusOK)
	case req.Method == sip.UPDATE && len(req.Body()) == 0:
		s.respond(req, tx, sip.StatusOK, "OK", contact)
	case req.Method == sip.INVITE || req.Method == sip.UPDATE:
		body, ans, err := l.renegotiate(req.Body())
		if err != nil {
			refuseOffer(s, inbound{req, tx}, err)
			return
		}
		if ans.Remote.IsValid() { // an offer, not a refresh
			l.media.SetRemote(ans.Remote)
			l.media.SetRTCPRemote(ans.RTCP)
			l.media.SetHold(ans.Hold)
		}
		res := sip.NewSDPResponseFromRequest(req, body)
		res.AppendHeader(sip.NewHeader("Server", s.userAgent))
		res.AppendHeader(contact)
		s.metrics.observeResponse(req.Method, sip.StatusOK)
		if err := tx.Respond(res); err != nil {
			c.log.Info("livekit re-invite answer failed", "error", err)
		}
		c.log.Info("livekit re-invite", "hold", ans.Hold)
	default:
		s.handleNotAllowed(req, tx)
	}
}
