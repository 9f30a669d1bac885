package sipgate

import (
	"errors"
	"math/rand/v2"
	"net/netip"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// offerAnswer is the state of the caller's session description (RFC 3264): sipgate's side of it, its
// version, and whether an offer of sipgate's awaits its answer. The codec and payload types stay those of
// the first negotiation (call.first) for the whole call: the prompts are encoded in it, and a bridged call's
// relay forwards packets untouched, which only works while both legs keep one mapping.
type offerAnswer struct {
	local    netip.AddrPort
	sessID   uint64
	version  uint64
	answer   []byte // the last SDP sipgate sent, answer or offer
	offerOut bool   // sipgate's offer (in a 2xx to an offerless re-INVITE) awaits its answer in the ACK
}

func newSessionID() uint64 { return rand.Uint64() >> 2 }

// onModify answers a re-INVITE or an UPDATE of the caller (RFC 3261 §14.2, RFC 3311 §5.2). Either refreshes
// the session timer (RFC 4028 §9; 422 under Min-SE) and the remote target (§12.2.2). Either may carry an
// offer, answered on the call's codec and payload types only (488 otherwise; the session stays as it was)
// and applied: a new address, a hold, a resume. A re-INVITE without an offer gets a fresh sendrecv offer on
// the call's codec in its 2xx — after a hold too (RFC 6337 §5.3) — and the answer in the ACK is applied. An
// offer while sipgate's own is outstanding is glare: 491 (§14.2, RFC 3311 §5.2).
func (c *call) onModify(in inbound) {
	s, req := c.srv, in.req
	offer := len(req.Body()) > 0
	if req.IsInvite() && c.ack != nil && !c.ack.offered {
		// The caller sends a new INVITE only once the last one is complete, its ACK sent (§14.1): that ACK
		// was lost or is overtaken, and the new INVITE stands for it.
		c.acknowledged(c.ack, nil)
	}
	if c.glare(req.IsInvite(), offer) {
		s.respond(req, in.tx, sip.StatusRequestPending, "Request Pending")
		return
	}
	timer, ok := negotiateTimer(req, c.timer.p.interval, s.cc.MinSE)
	if !ok {
		s.respond(req, in.tx, statusIntervalTooSmall, "Session Interval Too Small", s.minSEHeader())
		return
	}
	var body []byte
	switch {
	case offer:
		ans, err := c.renegotiate(req.Body())
		if err != nil {
			refuseOffer(s, in, err)
			return
		}
		c.applyOffer(ans)
		body = ans.SDP
		c.log.Info("session modified", "method", req.Method, "hold", ans.Hold)
	case req.IsInvite():
		c.sdp.version++
		body = media.BridgeOffer(c.sdp.local, c.first, media.WithSession(c.sdp.sessID, c.sdp.version))
		c.sdp.answer, c.sdp.offerOut = body, true
	}
	c.dlg.refreshTarget(req)
	c.timer.set(timer)
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if body != nil {
		res = sip.NewSDPResponseFromRequest(req, body)
	}
	c.okHeaders(res, timer)
	if req.IsInvite() {
		c.sendOK(in.tx, res, req.CSeq().SeqNo, !offer, false)
		return
	}
	s.metrics.observeResponse(req.Method, sip.StatusOK)
	if err := in.tx.Respond(res); err != nil {
		c.log.Info("in-dialog answer failed", "method", req.Method, "error", err)
	}
}

// glare reports whether a re-INVITE (invite) or UPDATE, with an offer or not, crosses an INVITE or an offer
// of sipgate's that awaits its answer: 491 (§14.2, RFC 3311 §5.2). The caller, which owns the Call-ID,
// retries after 2.1–4 s, sipgate after 0–2 s (§14.1).
func (c *call) glare(invite, offer bool) bool {
	return (invite || offer) && (c.sdp.offerOut || c.uac != nil && (c.uac.invite || c.uac.offer))
}

// renegotiate answers an offer within the dialog on the call's codec and payload type, with the next version
// of the session (RFC 3264 §8).
func (c *call) renegotiate(offer []byte) (media.Answer, error) {
	ans, err := media.Negotiate(offer, c.sdp.local, media.WithCodecs(c.first.Codec),
		media.WithSession(c.sdp.sessID, c.sdp.version+1))
	if err != nil {
		return media.Answer{}, err
	}
	if ans.PT != c.first.PT {
		return media.Answer{}, errMovedPT
	}
	c.sdp.version++
	c.sdp.answer = ans.SDP
	return ans, nil
}

// errMovedPT refuses an offer that moves the call's codec to another payload type.
var errMovedPT = errors.New("sipgate: offer moves the codec to another payload type")

// applyOffer puts an answered offer in force: where to send, whether the caller holds the call, and the
// payload type of its key presses.
func (c *call) applyOffer(ans media.Answer) {
	c.media.SetRemote(ans.Remote)
	c.media.SetRTCPRemote(ans.RTCP)
	c.media.SetHold(ans.Hold)
	c.evPT.Store(uint32(ans.EventPT))
	c.watch.hold(c, ans.Hold || !ans.Direction.Receives())
}

// applyAnswer puts in force the caller's answer to sipgate's offer, from the ACK (§13.2.1). An ACK without
// one leaves the session as it was.
func (c *call) applyAnswer(body []byte) {
	c.sdp.offerOut = false
	if len(body) == 0 {
		c.log.Info("ack without the answer to sipgate's offer")
		return
	}
	ans, err := media.ParseBridgeAnswer(body, c.first)
	if err != nil {
		c.log.Info("answer in ack refused", "error", err)
		return
	}
	c.media.SetRemote(ans.Remote)
	c.media.SetRTCPRemote(ans.RTCP)
	c.media.SetHold(ans.Hold)
	c.watch.hold(c, ans.Hold || !ans.Direction.Sends())
	c.log.Info("session modified", "method", "ACK", "hold", ans.Hold)
}

// refuseOffer answers an in-dialog offer that could not be taken: 488 when it lacks the call's codec on its
// payload type, else 400. The session goes on as it was (§14.2).
func refuseOffer(s *Server, in inbound, err error) {
	if errors.Is(err, media.ErrNoCodec) || errors.Is(err, errMovedPT) {
		s.respond(in.req, in.tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	s.respond(in.req, in.tx, sip.StatusBadRequest, "Bad Request")
}
