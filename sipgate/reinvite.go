package sipgate

import (
	"errors"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// handleReInvite answers an INVITE within a dialog (RFC 3261 §14.2): the new offer is negotiated like the
// first, answered with the same session id and the next version (RFC 3264 §8), and its address applied
// (hold with c=0.0.0.0 or a=sendonly stops sending; a new address moves the stream). A re-INVITE without
// SDP (a session refresh) is answered with the last answer re-versioned. The codec chosen first stays.
func (s *Server) handleReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.match(req)
	if c == nil {
		s.handleLegReInvite(req, tx)
		return
	}
	if err := c.dlg.ReadRequest(req, tx); err != nil {
		// §14.2: an INVITE with a lower CSeq than one still pending.
		s.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error", s.retryAfterHeader())
		return
	}
	ans, err := c.renegotiate(req.Body())
	if err != nil {
		code, reason := sip.StatusBadRequest, "Bad Request"
		if errors.Is(err, media.ErrNoCodec) {
			code, reason = sip.StatusNotAcceptableHere, "Not Acceptable Here"
		}
		s.respond(req, tx, code, reason)
		return
	}
	c.media.SetRemote(ans.Remote)
	c.media.SetHold(ans.Hold)
	res := sip.NewSDPResponseFromRequest(req, ans.SDP)
	res.AppendHeader(sip.NewHeader("Server", s.userAgent))
	contact := s.dialogFor(req).ContactHDR
	res.AppendHeader(contact.Clone())
	s.metrics.observeResponse(req.Method, sip.StatusOK)
	if err := tx.Respond(res); err != nil {
		c.log.Info("re-invite answer failed", "error", err)
	}
	c.log.Info("re-invite", "hold", ans.Hold)
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

// handleLegReInvite answers a re-INVITE from LiveKit on a bridged call's leg (a session refresh, a hold, a
// new address): answered on its own, without involving the caller, since the relay joins the two streams
// and the codec does not change.
func (s *Server) handleLegReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c, l := s.calls.matchLeg(req)
	if l == nil {
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	body, ans, err := l.renegotiate(req.Body())
	if err != nil {
		code, reason := sip.StatusBadRequest, "Bad Request"
		if errors.Is(err, media.ErrNoCodec) {
			code, reason = sip.StatusNotAcceptableHere, "Not Acceptable Here"
		}
		s.respond(req, tx, code, reason)
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
