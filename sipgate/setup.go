package sipgate

import (
	"context"
	"errors"
	"mime"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// setup decides whether to answer an INVITE: the core knows the number, the offer is acceptable, an RTP
// port is free, the dialog can be built. On any failure it sends the final response and returns false.
func (s *Server) setup(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) (*call, bool) {
	called := calledNumber(req)
	trunk, ok := s.lookup(ctx, req, tx, called)
	if !ok {
		return nil, false
	}
	if !s.checkBody(req, tx) {
		return nil, false
	}
	conn, err := s.ports.Allocate()
	if err != nil {
		s.log.Warn("no rtp port", "call_id", callID(req), "error", err)
		s.reject(req, tx, outcome503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return nil, false
	}
	id := newSessionID()
	local := s.localRTP(conn)
	ans, err := media.Negotiate(req.Body(), local, media.WithSession(id, 1))
	if err != nil {
		conn.Close()
		s.rejectOffer(req, tx, err)
		return nil, false
	}
	c := s.newCall(req, conn, ans, trunk, called)
	c.local, c.sessID = local, id
	if c.dlg, err = s.dialogFor(req).ReadInvite(req, tx); err != nil {
		c.media.Close()
		if tx.Err() != nil { // cancelled meanwhile: sipgo's transaction layer sent 487
			s.metrics.calls.WithLabelValues(outcomeHangup).Inc()
			return nil, false
		}
		s.reject(req, tx, outcome400, sip.StatusBadRequest, "Bad Request") // no Contact (§8.1.1.8)
		return nil, false
	}
	return c, true
}

// lookup asks the core about the called number: 404 for a number no enabled trunk owns (§21.4.5), 503 with
// Retry-After when the core cannot say (§21.5.4).
func (s *Server) lookup(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, called string) (Trunk, bool) {
	if called == "" {
		s.reject(req, tx, outcome404, sip.StatusNotFound, "Not Found")
		return Trunk{}, false
	}
	trunk, err := s.core.LookupNumber(ctx, called)
	switch {
	case err == nil:
		return trunk, true
	case errors.Is(err, ErrUnknownNumber):
		s.reject(req, tx, outcome404, sip.StatusNotFound, "Not Found")
	case ctx.Err() != nil: // CANCEL: the transaction layer answered 487
		s.metrics.calls.WithLabelValues(outcomeHangup).Inc()
	default:
		s.log.Warn("core lookup failed", "call_id", callID(req), "called", called, "error", err)
		s.reject(req, tx, outcome503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
	}
	return Trunk{}, false
}

// checkBody refuses an INVITE whose body is not an SDP offer with 488 and Accept: application/sdp
// (§21.4.26, §20.1). sipgate does not do offerless INVITEs (offer in the 200, answer in the ACK, §13.2.1).
func (s *Server) checkBody(req *sip.Request, tx sip.ServerTransaction) bool {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct, _, _ = mime.ParseMediaType(h.Value())
	}
	if len(req.Body()) > 0 && strings.EqualFold(ct, "application/sdp") {
		return true
	}
	s.reject(req, tx, outcome488, sip.StatusNotAcceptableHere, "Not Acceptable Here",
		sip.NewHeader("Accept", "application/sdp"))
	return false
}

// rejectOffer answers an offer media.Negotiate refused: 400 for SDP that does not parse (§21.4.1), 488 with
// a Warning 305 "Incompatible media format" (§20.43) when no stream has PCMU or PCMA.
func (s *Server) rejectOffer(req *sip.Request, tx sip.ServerTransaction, err error) {
	if errors.Is(err, media.ErrNoCodec) {
		warning := sip.NewHeader("Warning", `305 `+warnAgent(req)+` "Incompatible media format: PCMU or PCMA required"`)
		s.reject(req, tx, outcome488, sip.StatusNotAcceptableHere, "Not Acceptable Here", warning)
		return
	}
	s.reject(req, tx, outcome400, sip.StatusBadRequest, "Bad Request")
}

// warnAgent is the warn-agent of a Warning header (§20.43): the host the request reached.
func warnAgent(req *sip.Request) string {
	if h := req.Recipient.Host; h != "" {
		return h
	}
	return "sipgate"
}
