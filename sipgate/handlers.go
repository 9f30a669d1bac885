package sipgate

import (
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// allowed lists the methods sipgate implements, for Allow (RFC 3261 §20.5) in OPTIONS and 405 responses. It
// must match routes.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS"

// routes registers a handler per method in allowed, and 405 for everything else: sipgo's own fallback answers
// 405 without the Allow header that RFC 3261 §21.4.6 requires.
func (s *Server) routes() {
	s.sip.OnInvite(s.track(s.handleInvite))
	s.sip.OnAck(s.track(s.handleAck))
	s.sip.OnCancel(s.track(s.handleCancel))
	s.sip.OnBye(s.track(s.handleBye))
	s.sip.OnOptions(s.track(s.handleOptions))
	s.sip.OnNoRoute(s.track(s.handleNotAllowed))
}

// track counts a handler as in flight, so that Shutdown waits for it.
func (s *Server) track(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		s.inflight.begin()
		defer s.inflight.end()
		h(req, tx)
	}
}

// handleInvite gives every INVITE a final response at once, so that no caller is left hanging. The IVR
// (prompt, PIN, LiveKit handoff) replaces the 480 in a later issue; until then the gateway is reachable but
// nobody can be connected, which is what 480 Temporarily Unavailable says (RFC 3261 §21.4.18), with a
// Retry-After (§20.33).
func (s *Server) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	switch {
	case hasToTag(req):
		// A re-INVITE: it names a dialog, and sipgate holds none yet (§12.2.2).
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	case s.draining.Load():
		// §21.5.4: a proxy (Kamailio) fails over to another replica on 503.
		s.respond(req, tx, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
	default:
		s.respond(req, tx, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", s.retryAfterHeader())
	}
}

// handleOptions answers probes (RFC 3261 §11.2). §11.2 asks for the status an INVITE would get; sipgate
// answers 200 rather than the placeholder 480 because the probe's question is "can this replica take calls",
// and while draining it answers 503, as an INVITE would, so that the dispatcher stops sending calls here.
func (s *Server) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.draining.Load() {
		s.respond(req, tx, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return
	}
	s.respond(req, tx, sip.StatusOK, "OK",
		sip.NewHeader("Allow", allowed),
		sip.NewHeader("Accept", "application/sdp"),
	)
}

// handleAck receives only ACKs that match no INVITE transaction: the ACK to a non-2xx final response belongs
// to the INVITE's transaction (§17.2.1), which sipgo absorbs over UDP, but over TCP sipgo ends the transaction
// as soon as the final response is sent, so the ACK arrives here. An ACK is never answered.
func (s *Server) handleAck(req *sip.Request, _ sip.ServerTransaction) {
	s.metrics.observe(req.Method, statusNone)
	s.log.Debug("sip request", "method", req.Method, "transport", req.Transport(), "call_id", callID(req))
}

// handleCancel receives only CANCELs that match no pending INVITE: sipgo's transaction layer answers a matching
// CANCEL itself (200 to the CANCEL, 487 to the INVITE, §9.2). An unmatched one gets 481 (§9.2).
func (s *Server) handleCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// handleBye answers 481: a BYE must match a dialog (§15.1.2), and sipgate establishes none yet.
func (s *Server) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// handleNotAllowed answers methods sipgate does not implement: 405 with the Allow header §21.4.6 requires.
func (s *Server) handleNotAllowed(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(req, tx, sip.StatusMethodNotAllowed, "Method Not Allowed", sip.NewHeader("Allow", allowed))
}

// respond sends a final response carrying the Server header (§20.35), counts it and logs it. The log names
// the method and status, never From, To or the Request-URI: their user parts are phone numbers.
func (s *Server) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader("Server", s.userAgent))
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	s.metrics.observeResponse(req.Method, code)
	if err := tx.Respond(res); err != nil {
		s.log.Warn("sip respond failed", "method", req.Method, "status", code, "call_id", callID(req), "error", err)
		return
	}
	s.log.Debug("sip request", "method", req.Method, "status", code, "transport", req.Transport(),
		"call_id", callID(req))
}

func (s *Server) retryAfterHeader() sip.Header {
	return sip.NewHeader("Retry-After", strconv.Itoa(s.retryAfterSeconds()))
}

func (s *Server) retryAfterSeconds() int { return int(s.retryAfter / time.Second) }

func hasToTag(req *sip.Request) bool {
	to := req.To()
	return to != nil && to.Params.Has("tag")
}

func callID(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}
