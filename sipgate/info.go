package sipgate

import (
	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/dtmf"
)

// handleInfo takes SIP INFO key presses (RFC 6086; bodies application/dtmf-relay or application/dtmf) into
// the call's DTMF receiver, which counts a key once even when RTP events carry it too. An INFO outside a
// known dialog gets 481 (RFC 3261 §12.2.2); otherwise the answer follows [dtmf.StatusCode]: 200, 400 for a
// malformed body, 415 with Accept for another content type (§21.4.13), 500 out of CSeq order (§12.2.2).
func (s *Server) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.match(req)
	if c == nil {
		s.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	var seq uint32
	if h := req.CSeq(); h != nil {
		seq = h.SeqNo
	}
	switch code := dtmf.StatusCode(c.recv.INFO(seq, ct, req.Body())); code {
	case sip.StatusOK:
		s.respond(req, tx, code, "OK")
	case sip.StatusUnsupportedMediaType:
		s.respond(req, tx, code, "Unsupported Media Type",
			sip.NewHeader("Accept", dtmf.TypeDTMFRelay+", "+dtmf.TypeDTMF))
	case sip.StatusBadRequest:
		s.respond(req, tx, code, "Bad Request")
	default:
		s.respond(req, tx, code, "Server Internal Error")
	}
}
