package sipgate

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/dtmf"
)

// onInfo takes SIP INFO key presses (RFC 6086; bodies application/dtmf-relay or application/dtmf) into the
// call's DTMF receiver, which counts a key once even when RTP events carry it too. The answer follows
// [dtmf.StatusCode]: 200, 400 for a malformed body, 415 with Accept for another content type (§21.4.13). The
// loop hands INFOs over in CSeq order, so a burst of them keeps its digits' order.
func (c *call) onInfo(in inbound) {
	s, req := c.srv, in.req
	if c.recv == nil { // an INFO before the call was set up
		s.respond(req, in.tx, sip.StatusOK, "OK")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	switch code := dtmf.StatusCode(c.recv.INFO(in.seq(), ct, req.Body())); code {
	case sip.StatusOK:
		s.respond(req, in.tx, code, "OK")
	case sip.StatusUnsupportedMediaType:
		s.respond(req, in.tx, code, "Unsupported Media Type", sip.NewHeader("Accept", dtmf.TypeDTMFRelay+", "+dtmf.TypeDTMF))
	case sip.StatusBadRequest:
		s.respond(req, in.tx, code, "Bad Request")
	default:
		s.respond(req, in.tx, code, "Server Internal Error")
	}
}

// onNotify takes the progress reports of a transfer (RFC 3515 §2.4.5): a message/sipfrag body whose status
// line is the transferee's INVITE's latest response. Each gets 200 (§2.4.4); one for another event package
// 489 Bad Event (RFC 6665 §8.2.1).
func (c *call) onNotify(in inbound) {
	s, req := c.srv, in.req
	event := ""
	if h := req.GetHeader("Event"); h != nil {
		event, _, _ = strings.Cut(h.Value(), ";")
	}
	if !strings.EqualFold(strings.TrimSpace(event), "refer") {
		s.respond(req, in.tx, 489, "Bad Event")
		return
	}
	code, ok := parseSipfrag(req.Body())
	s.respond(req, in.tx, sip.StatusOK, "OK")
	if !ok || c.notify == nil {
		return
	}
	select {
	case c.notify <- code:
	default: // a flood of NOTIFYs: the final one matters, and the buffer holds eight
	}
}
