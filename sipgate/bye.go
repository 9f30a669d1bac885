package sipgate

import (
	"github.com/emiago/sipgo/sip"
)

// handleBye ends a call at the caller's request (RFC 3261 §15.1.2): the dialog ends, which cancels the
// call's context — prompts stop, the RTP port is released — and the BYE gets 200. It works before the ACK
// too: a BYE that overtakes the ACK (sipgo issue #306) ends the call cleanly. A BYE that matches no
// dialog gets 481.
func (s *Server) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.match(req)
	if c == nil {
		s.handleLegBye(req, tx)
		return
	}
	if err := c.dlg.ReadBye(req, tx); err != nil { // ReadBye answers 200 itself
		s.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	s.metrics.observeResponse(req.Method, sip.StatusOK)
}

// handleLegBye ends a bridged call at LiveKit's request: the leg's dialog ends, which stops the relay, and
// the bridge then sends BYE to the caller.
func (s *Server) handleLegBye(req *sip.Request, tx sip.ServerTransaction) {
	_, l := s.calls.matchLeg(req)
	if l == nil {
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if err := l.dlg.ReadBye(req, tx); err != nil {
		s.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	s.metrics.observeResponse(req.Method, sip.StatusOK)
}

// handleAck confirms a dialog (§13.3.1.4), which lets the call's 200 OK stop retransmitting. ACKs that
// match no dialog belong to a non-2xx final response: over UDP sipgo's transaction absorbs them, over TCP
// sipgo ends the transaction as soon as the final response is sent, so they arrive here. An ACK is never
// answered.
func (s *Server) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	s.metrics.observe(req.Method, statusNone)
	if c := s.calls.match(req); c != nil {
		if err := c.dlg.ReadAck(req, tx); err != nil {
			c.log.Debug("ack ignored", "error", err)
		}
		return
	}
	s.log.Debug("sip request", "method", req.Method, "transport", req.Transport(), "call_id", callID(req))
}
