package sipgate

import (
	"errors"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// handleReInvite answers an INVITE within a dialog (RFC 3261 §14.2): from the caller (see modify), or from
// LiveKit on a bridged call's leg.
func (s *Server) handleReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.match(req)
	if c == nil {
		s.handleLegReInvite(req, tx)
		return
	}
	s.modify(c, req, tx)
}

// handleUpdate answers an UPDATE (RFC 3311): from the caller (see modify), or from LiveKit on a bridged
// call's leg. One outside any dialog gets 481 (RFC 3261 §12.2.2).
func (s *Server) handleUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.match(req)
	if c == nil {
		s.handleLegUpdate(req, tx)
		return
	}
	s.modify(c, req, tx)
}

// modify answers a re-INVITE or an UPDATE from the caller. Either refreshes the session timer (RFC 4028 §9,
// §10), and one asking for less than Min-SE gets 422. Either may carry an offer, negotiated like the first:
// answered with the same session id and the next version (RFC 3264 §8), and applied (hold with c=0.0.0.0
// or a=sendonly stops sending; a new address moves the stream); the codec chosen first stays. A re-INVITE
// without SDP gets the last answer re-versioned; an UPDATE without SDP, the usual session refresh, gets a
// 200 without a body (RFC 3311 §5.2).
func (s *Server) modify(c *call, req *sip.Request, tx sip.ServerTransaction) {
	if err := c.dlg.ReadRequest(req, tx); err != nil {
		// RFC 3261 §14.2, RFC 3311 §5.2: a lower CSeq than that of a request still pending.
		s.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error", s.retryAfterHeader())
		return
	}
	timer, ok := negotiateTimer(req, c.timer.params().interval, s.cc.MinSE)
	if !ok {
		s.respond(req, tx, statusIntervalTooSmall, "Session Interval Too Small", s.minSEHeader())
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if req.IsInvite() || len(req.Body()) > 0 {
		ans, err := c.renegotiate(req.Body())
		if err != nil {
			s.refuseOffer(req, tx, err)
			return
		}
		c.media.SetRemote(ans.Remote)
		c.media.SetHold(ans.Hold)
		res = sip.NewSDPResponseFromRequest(req, ans.SDP)
		c.log.Info("session modified", "method", req.Method, "hold", ans.Hold)
	}
	c.timer.set(timer)
	for _, h := range s.okHeaders(timer) {
		res.AppendHeader(h)
	}
	res.AppendHeader(s.dialogFor(req).ContactHDR.Clone())
	s.metrics.observeResponse(req.Method, sip.StatusOK)
	if err := tx.Respond(res); err != nil {
		c.log.Info("in-dialog answer failed", "method", req.Method, "error", err)
	}
}

// renegotiate answers offer (or the last offer when empty) with the next session version.
func (c *call) renegotiate(offer []byte) (media.Answer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(offer) == 0 {
		offer = c.offer
	}
	ans, err := media.Negotiate(offer, c.local, media.WithSession(c.sessID, c.sessVer+1))
	if err != nil {
		return media.Answer{}, err
	}
	c.offer, c.sdp, c.sessVer = offer, ans.SDP, c.sessVer+1
	return ans, nil
}

// refuseOffer answers an in-dialog offer that media.Negotiate refused: 488 when it has no codec sipgate
// takes, else 400. The session goes on as it was (RFC 3261 §14.2).
func (s *Server) refuseOffer(req *sip.Request, tx sip.ServerTransaction, err error) {
	if errors.Is(err, media.ErrNoCodec) {
		s.respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	s.respond(req, tx, sip.StatusBadRequest, "Bad Request")
}

// handleLegReInvite answers a re-INVITE, or an UPDATE with an offer, from LiveKit on a bridged call's leg (a
// session refresh, a hold, a new address): answered on its own, without involving the caller, since the
// relay joins the two streams and the codec does not change.
func (s *Server) handleLegReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c, l := s.calls.matchLeg(req)
	if l == nil {
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	body, ans, err := l.renegotiate(req.Body())
	if err != nil {
		s.refuseOffer(req, tx, err)
		return
	}
	if ans.Remote.IsValid() { // an offer, not a refresh
		l.media.SetRemote(ans.Remote)
		l.media.SetHold(ans.Hold)
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(sip.NewHeader("Server", s.userAgent))
	res.AppendHeader(s.dialogs[s.lk.Transport].ContactHDR.Clone())
	s.metrics.observeResponse(req.Method, sip.StatusOK)
	if err := tx.Respond(res); err != nil {
		c.log.Info("livekit re-invite answer failed", "error", err)
	}
	c.log.Info("livekit re-invite", "hold", ans.Hold)
}

// handleLegUpdate answers an UPDATE from LiveKit on a bridged call's leg: one with an offer like a
// re-INVITE, one without (a session refresh) with a bare 200 (RFC 3311 §5.2); 481 outside any dialog.
func (s *Server) handleLegUpdate(req *sip.Request, tx sip.ServerTransaction) {
	if len(req.Body()) > 0 {
		s.handleLegReInvite(req, tx)
		return
	}
	if _, l := s.calls.matchLeg(req); l == nil {
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	s.respond(req, tx, sip.StatusOK, "OK", s.dialogs[s.lk.Transport].ContactHDR.Clone())
}
