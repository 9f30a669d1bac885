package sipgate

import (
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// allowed lists the methods sipgate implements, for Allow (RFC 3261 §20.5) in OPTIONS and 405 responses. It
// must match routes.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, UPDATE"

// routes registers a handler per method in allowed, and 405 for everything else: sipgo's own fallback answers
// 405 without the Allow header that RFC 3261 §21.4.6 requires.
func (s *Server) routes() {
	s.sip.OnInvite(s.track(s.handleInvite))
	s.sip.OnAck(s.track(s.handleAck))
	s.sip.OnCancel(s.track(s.handleCancel))
	s.sip.OnBye(s.track(s.handleBye))
	s.sip.OnOptions(s.track(s.handleOptions))
	s.sip.OnInfo(s.track(s.handleInfo))
	s.sip.OnNotify(s.track(s.handleNotify))
	s.sip.OnUpdate(s.track(s.handleUpdate))
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

// handleOptions answers probes (RFC 3261 §11.2) with 200 and the capabilities §11.2 lists, and with 503
// while draining, as an INVITE would, so that the dispatcher stops sending calls here.
func (s *Server) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.draining.Load() {
		s.respond(req, tx, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return
	}
	s.respond(req, tx, sip.StatusOK, "OK",
		sip.NewHeader("Allow", allowed),
		sip.NewHeader("Accept", "application/sdp"),
		sip.NewHeader("Supported", optionTimer),
	)
}

// handleCancel receives only CANCELs that match no pending INVITE: sipgo's transaction layer answers a matching
// CANCEL itself (200 to the CANCEL, 487 to the INVITE, §9.2). An unmatched one gets 481 (§9.2).
func (s *Server) handleCancel(req *sip.Request, tx sip.ServerTransaction) {
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

// okHeaders are the header fields of sipgate's 2xx to the caller's INVITE, re-INVITE or UPDATE, besides
// Contact: Server; Allow and Supported, which RFC 3261 §13.3.1.4 asks of a 2xx to an INVITE, and which tell
// the caller that it may refresh with UPDATE (RFC 3311 §5.1) and that sipgate does session timers; and the
// session timer p grants (RFC 4028 §9).
func (s *Server) okHeaders(p sessionParams) []sip.Header {
	return append([]sip.Header{
		sip.NewHeader("Server", s.userAgent),
		sip.NewHeader("Allow", allowed),
		sip.NewHeader("Supported", optionTimer),
	}, p.headers()...)
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
