package sipgate

import (
	"errors"
	"mime"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// setup decides whether to answer: the core knows the number, the offer is acceptable, an RTP port is free.
// On any failure it sends the final response and returns the outcome and false.
func (c *call) setup() (Outcome, bool) {
	s, req := c.srv, c.dlg.invite
	c.called = calledNumber(req)
	if c.called == "" {
		return c.reject(OutcomeRejected404, sip.StatusNotFound, "Not Found"), false
	}
	trunk, err := s.core.LookupNumber(c.ctx, c.called)
	switch {
	case errors.Is(err, ErrUnknownNumber):
		return c.reject(OutcomeRejected404, sip.StatusNotFound, "Not Found"), false
	case err != nil && c.ctx.Err() != nil: // CANCEL: the transaction layer answered 487
		return c.endedOutcome(), false
	case err != nil:
		c.log.Warn("core lookup failed", "called", c.called, "error", err)
		return c.reject(OutcomeRejected503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader()), false
	}
	if trunk.E164 != "" {
		c.called = trunk.E164
	}
	c.lang, c.refer, c.rec.TrunkID = trunk.Language, trunk.Refer, trunk.ID
	c.log = c.log.With("called", c.called, "caller", maskNumber(c.caller))
	if !isSDP(req) {
		// §21.4.26, §20.1: sipgate does not take offerless INVITEs (offer in the 200, answer in the ACK).
		return c.reject(OutcomeRejected488, sip.StatusNotAcceptableHere, "Not Acceptable Here",
			sip.NewHeader("Accept", "application/sdp")), false
	}
	conn, rtcp, err := s.ports.AllocatePair()
	if err != nil {
		c.log.Warn("no rtp port", "error", err)
		return c.reject(OutcomeRejected503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader()), false
	}
	local := s.localRTP(conn)
	c.sdp = offerAnswer{local: local, sessID: newSessionID(), version: 1}
	ans, err := media.Negotiate(req.Body(), local, media.WithSession(c.sdp.sessID, c.sdp.version))
	if err != nil {
		conn.Close()
		rtcp.Close()
		return c.rejectOffer(err), false
	}
	c.first, c.sdp.answer = ans, ans.SDP
	c.evPT.Store(uint32(ans.EventPT))
	c.media = media.NewSession(conn, ans.Remote, sessionOptions(ans, rtcp)...)
	c.media.SetHold(ans.Hold) // an initial a=sendonly or a=inactive is honoured too (RFC 3264 §6.1)
	c.recv = dtmf.NewReceiver(dtmf.ReceiverConfig{})
	return 0, true
}

// isSDP reports whether req carries an SDP body.
func isSDP(req *sip.Request) bool {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct, _, _ = mime.ParseMediaType(h.Value())
	}
	return len(req.Body()) > 0 && strings.EqualFold(ct, "application/sdp")
}

// reject sends the INVITE's final response from the loop, which then knows the dialog never was, and
// returns outcome.
func (c *call) reject(outcome Outcome, code int, reason string, hdrs ...sip.Header) Outcome {
	c.rec.SIPCode = code
	c.exec(func() {
		c.srv.respond(c.dlg.invite, c.tx, code, reason, hdrs...)
		c.over()
	})
	return outcome
}

// rejectOffer answers an offer media.Negotiate refused: 400 for SDP that does not parse (§21.4.1), 488 with
// a Warning 305 "Incompatible media format" (§20.43) when no stream has PCMU or PCMA.
func (c *call) rejectOffer(err error) Outcome {
	if errors.Is(err, media.ErrNoCodec) {
		warning := sip.NewHeader("Warning", `305 `+warnAgent(c.dlg.invite)+` "Incompatible media format: PCMU or PCMA required"`)
		return c.reject(OutcomeRejected488, sip.StatusNotAcceptableHere, "Not Acceptable Here", warning)
	}
	return c.reject(OutcomeRejected400, sip.StatusBadRequest, "Bad Request")
}

// warnAgent is the warn-agent of a Warning header (§20.43): the host the request reached.
func warnAgent(req *sip.Request) string {
	if h := req.Recipient.Host; h != "" {
		return h
	}
	return "sipgate"
}

// answer sends 180 Ringing, then the 200 OK with the SDP answer and the session timer (§13.3.1.4, RFC 4028
// §9), and waits for the ACK. A BYE or CANCEL meanwhile ends the call and answer returns an error.
func (c *call) answer() error {
	start := time.Now()
	c.exec(func() { c.acceptInvite(start) })
	select {
	case <-c.confirmed:
		return c.ctx.Err()
	case <-c.ctx.Done():
		return c.ctx.Err()
	}
}

// localRTP is the address the SDP advertises for conn.
func (s *Server) localRTP(conn *net.UDPConn) netip.AddrPort {
	return netip.AddrPortFrom(s.cc.RTPIP, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
}

// sessionOptions are the media session's options for a negotiated answer: the payload type of its codec,
// RTCP on the port pair's odd port, and on the RTP port too when the offer multiplexed it (RFC 5761).
func sessionOptions(ans media.Answer, rtcp *net.UDPConn) []media.SessionOption {
	opts := []media.SessionOption{media.WithPayloadType(ans.Codec, ans.PT), media.WithRTCP(rtcp, ans.RTCP)}
	if ans.RTCPMux {
		opts = append(opts, media.WithRTCPMux())
	}
	return opts
}
