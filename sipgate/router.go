package sipgate

import (
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// allowed lists the methods sipgate implements, for Allow (RFC 3261 §20.5) in OPTIONS and 405 responses. It
// must match routes.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, UPDATE"

// routes registers a handler per method in allowed, and 405 for everything else: sipgo's own fallback answers
// 405 without the Allow header that RFC 3261 §21.4.6 requires. The server only routes: a new INVITE becomes
// a call, anything within a dialog goes to its call's loop, the rest is answered here.
func (s *Server) routes() {
	s.sip.OnInvite(s.track(s.handleInvite))
	s.sip.OnAck(s.track(s.handleAck))
	s.sip.OnCancel(s.track(s.handleCancel))
	s.sip.OnOptions(s.track(s.handleOptions))
	for _, m := range []sip.RequestMethod{sip.BYE, sip.INFO, sip.NOTIFY, sip.UPDATE} {
		s.sip.OnRequest(m, s.track(s.handleInDialog))
	}
	s.sip.OnNoRoute(s.track(s.handleOther))
}

// track counts a handler as in flight, so that Shutdown waits for it.
func (s *Server) track(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		s.inflight.begin()
		defer s.inflight.end()
		h(req, tx)
	}
}

// handleInvite starts a call for a new INVITE, after the checks that need no core: draining (503, so that a
// proxy such as Kamailio fails over, §21.5.4), a session interval under Min-SE (422, RFC 4028 §9), the call
// limit (503). An INVITE within a dialog is a re-INVITE for its call.
func (s *Server) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.handleInDialog(req, tx)
		return
	}
	if s.draining.Load() {
		s.reject(req, tx, OutcomeRejected503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return
	}
	timer, ok := negotiateTimer(req, 0, s.cc.MinSE)
	if !ok {
		s.reject(req, tx, OutcomeRejected422, statusIntervalTooSmall, "Session Interval Too Small", s.minSEHeader())
		return
	}
	s.trying(req, tx)
	if s.core == nil || !s.calls.reserve() {
		s.reject(req, tx, OutcomeRejected503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return
	}
	c, err := s.newCall(req, tx, timer)
	if err != nil {
		s.calls.release()
		s.reject(req, tx, OutcomeRejected400, sip.StatusBadRequest, "Bad Request") // no Contact (§8.1.1.8)
		return
	}
	// sipgo answers a CANCEL itself (200, then 487 to the INVITE, §9.2); the call only has to stop.
	if !tx.OnCancel(func(*sip.Request) {
		c.cancelled.Store(true)
		c.post(func() { c.end(OutcomeHangup) })
	}) {
		c.cancelled.Store(true)
		c.cancel(endedBy(OutcomeHangup))
	}
	wt := newFinalTx(tx)
	c.tx = wt
	s.calls.add(c)
	s.inflight.begin()
	go c.run()
	// sipgo ends the transaction when this handler returns unless a final response was sent: wait for it.
	select {
	case <-wt.final:
	case <-c.gone:
	}
}

// handleInDialog hands a request within a dialog to its call's loop: the caller's, in CSeq order, or the
// LiveKit leg's. One that matches no dialog gets 481 (§12.2.2).
func (s *Server) handleInDialog(req *sip.Request, tx sip.ServerTransaction) {
	wt := newFinalTx(tx)
	var c *call
	posted := false
	if c = s.calls.match(req); c != nil {
		posted = c.post(func() { c.receive(inbound{req, wt}) })
	} else if lc, l := s.calls.matchLeg(req); l != nil {
		c = lc
		posted = c.post(func() { c.onLegRequest(l, req, wt) })
	}
	if !posted {
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	// sipgo ends the transaction when this handler returns unless a final response was sent: wait for the
	// loop's, which a request waiting for its turn gets within T1.
	select {
	case <-wt.final:
	case <-c.quit:
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	}
}

// finalTx is a server transaction that tells when its final response has been sent, so that the sipgo
// handler goroutine, which must not return before (sipgo terminates a transaction without one), can wait
// while the call's loop answers.
type finalTx struct {
	sip.ServerTransaction
	final chan struct{}
	once  sync.Once
}

func newFinalTx(tx sip.ServerTransaction) *finalTx {
	return &finalTx{ServerTransaction: tx, final: make(chan struct{})}
}

func (t *finalTx) Respond(res *sip.Response) error {
	err := t.ServerTransaction.Respond(res)
	if res.StatusCode >= 200 {
		t.once.Do(func() { close(t.final) })
	}
	return err
}

// handleAck hands an ACK to its call. ACKs that match no dialog belong to a non-2xx final response: over
// UDP sipgo's transaction absorbs them, over TCP sipgo ends the transaction as soon as the final response is
// sent, so they arrive here. An ACK is never answered.
func (s *Server) handleAck(req *sip.Request, _ sip.ServerTransaction) {
	if c := s.calls.match(req); c != nil && c.post(func() { c.onAck(req) }) {
		return
	}
	s.metrics.observe(req.Method, statusNone)
}

// trying sends 100 Trying at once (§8.2.6.1, §17.2.1) rather than after sipgo's 200 ms, so that the caller
// stops retransmitting while the core is asked.
func (s *Server) trying(req *sip.Request, tx sip.ServerTransaction) {
	if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusTrying, "Trying", nil)); err != nil {
		s.log.Debug("sip 100 failed", "call_id", callID(req), "error", err)
	}
}

// reject sends a final response to an INVITE that never became a call and counts its outcome.
func (s *Server) reject(req *sip.Request, tx sip.ServerTransaction, o Outcome, code int, reason string, hdrs ...sip.Header) {
	s.metrics.calls.WithLabelValues(o.String()).Inc()
	s.respond(req, tx, code, reason, hdrs...)
}

// handleOptions answers probes (RFC 3261 §11.2); one within a dialog (an SBC's keepalive) goes to its call,
// since it takes a CSeq of the dialog's.
func (s *Server) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.handleInDialog(req, tx)
		return
	}
	s.answerOptions(req, tx)
}

// answerOptions answers OPTIONS with 200 and the capabilities §11.2 lists, and with 503 while draining, as an
// INVITE would, so that the dispatcher stops sending calls here.
func (s *Server) answerOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.draining.Load() && !hasToTag(req) {
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

// handleOther takes the methods sipgate does not implement: within a dialog they go to its call (they take a
// CSeq of the dialog's, and the call answers them 405 in their turn), outside one they get 405 here.
func (s *Server) handleOther(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.handleInDialog(req, tx)
		return
	}
	s.handleNotAllowed(req, tx)
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
