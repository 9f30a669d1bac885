package standin

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/rpc"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// onInvite runs LiveKit's inbound sequence: trunk, digest, dispatch, then
// room and answer (see the package doc). It responds to every INVITE except
// one a trunk says to drop, and returns when the call ends.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad source address", nil))
		return
	}
	ctx := context.Background()
	lkCall := sipCall(req, src)
	trunk, err := s.trunkAuth(ctx, lkCall)
	if err != nil {
		s.log.Warn("rejecting INVITE: trunk lookup failed", "error", err)
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Try again later", nil))
		return
	}
	switch {
	case trunk.Drop:
		return
	case trunk.SipTrunkId == "":
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotFound, "Does not match any SIP Trunks", nil))
		return
	}
	user, pass := trunk.Username, trunk.Password
	if s.staticUser != "" {
		user, pass = s.staticUser, s.staticPass
	}
	if user != "" && !s.authorize(req, tx, user, pass) {
		return
	}
	if s.answerDelay > 0 && !s.ring(req, tx) {
		return
	}
	res, err := s.dispatch(ctx, trunk.SipTrunkId, lkCall)
	if err != nil {
		s.log.Warn("rejecting INVITE: dispatch failed", "error", err)
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Try again later", nil))
		return
	}
	if res.Result != rpc.SIPDispatchResult_ACCEPT {
		code, reason := refusal(res.Result)
		tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
		return
	}
	s.accept(req, tx, lkCall, res)
}

// ring sends 180 and waits for the answer delay; it reports false when the
// caller cancelled meanwhile (sipgo's transaction layer answered 487).
func (s *Server) ring(req *sip.Request, tx sip.ServerTransaction) bool {
	cancelled := make(chan struct{})
	if !tx.OnCancel(func(*sip.Request) { close(cancelled) }) {
		return false
	}
	tx.Respond(sip.NewResponseFromRequest(req, sip.StatusRinging, "Ringing", nil))
	select {
	case <-time.After(s.answerDelay):
		return true
	case <-cancelled:
		s.cancelled.Add(1)
		return false
	}
}

// Cancelled returns how many INVITEs were cancelled while ringing.
func (s *Server) Cancelled() int64 { return s.cancelled.Load() }

// accept answers an accepted call: RTP port and SDP answer, the
// participant in the room, 200 OK; then it serves the call until either
// side ends it.
func (s *Server) accept(req *sip.Request, tx sip.ServerTransaction, lkCall *rpc.SIPCall, res *rpc.EvaluateSIPDispatchRulesResponse) {
	dlg, err := s.dialogs.ReadInvite(req, tx)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, err.Error(), nil))
		return
	}
	defer dlg.Close()
	sess, ans, code, reason := s.openMedia(req)
	if code != 0 {
		dlg.Respond(code, reason, nil)
		return
	}
	defer sess.Close()
	ctx, cancel := context.WithCancel(dlg.Context())
	defer cancel()
	attrs := attributes(res, req)
	c := &call{dlg: dlg, ctx: ctx, cancel: cancel, info: Call{
		ID: lkCall.LkCallId, SIPCallID: lkCall.SipCallId, Room: res.RoomName, Identity: res.ParticipantIdentity,
		Name: res.ParticipantName, Attributes: attrs, Started: time.Now(),
	}}
	room, track, err := s.join(res, attrs, c.hangup)
	if err != nil {
		s.log.Error("cannot join the room", "room", res.RoomName, "error", err)
		dlg.Respond(sip.StatusInternalServerError, "Cannot join the room", nil)
		return
	}
	defer room.Disconnect()
	s.wg.Add(1)
	defer s.wg.Done()
	s.addCall(c)
	defer s.endCall(c)
	go silence(ctx, track)
	go echo(ctx, c, sess, ans.EventPT, room)
	if ctx.Err() != nil { // the participant left the room before we could answer
		dlg.Respond(sip.StatusTemporarilyUnavailable, "Left the room", nil)
		return
	}
	if err := dlg.RespondSDP(ans.SDP); err != nil {
		s.log.Warn("call not established", "call", c.info.ID, "error", err)
		c.hangup()
		return
	}
	c.answered.Store(true)
	if ctx.Err() != nil { // the participant left while the 200 was on its way
		c.sendBye()
	}
	s.log.Info("call answered", "call", c.info.ID, "room", res.RoomName, "identity", res.ParticipantIdentity)
	<-ctx.Done()
	s.log.Info("call ended", "call", c.info.ID, "packets_in", c.in.Load(), "packets_out", c.out.Load())
}

// openMedia binds an RTP port and answers the offer (RFC 3264). On failure
// it returns the status to answer: 503 without ports, 400 for a malformed
// offer, 488 without a common codec.
func (s *Server) openMedia(req *sip.Request) (*media.Session, media.Answer, int, string) {
	conn, err := s.ports.Allocate()
	if err != nil {
		return nil, media.Answer{}, sip.StatusServiceUnavailable, "No RTP port"
	}
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	ans, err := media.Negotiate(req.Body(), local)
	if err != nil {
		conn.Close()
		if errors.Is(err, media.ErrNoCodec) {
			return nil, ans, sip.StatusNotAcceptableHere, "Not Acceptable Here"
		}
		return nil, ans, sip.StatusBadRequest, "Bad SDP"
	}
	return media.NewSession(conn, ans.Remote, media.WithPayloadType(ans.Codec, ans.PT)), ans, 0, ""
}

// echo sends every RTP packet received back to its sender, as is, and
// counts both ways, so that a caller can measure loss through the stand-in.
// Like LiveKit's SIP service, it tells the room each key the caller types
// (RFC 4733 on eventPT, 0 when none was negotiated) as a SipDTMF data
// packet, once per key.
func echo(ctx context.Context, c *call, sess *media.Session, eventPT uint8, room *lksdk.Room) {
	var keys dtmf.RTPCollector
	for {
		p, err := sess.ReadPacket(ctx)
		if err != nil {
			return
		}
		c.in.Add(1)
		if eventPT != 0 && p.PayloadType == eventPT {
			if d, ok := keys.Add(p.SSRC, p.Timestamp, p.Payload); ok {
				c.typed(d)
				ev, _ := dtmf.ParseEvent(p.Payload)
				_ = room.LocalParticipant.PublishDataPacket(&livekit.SipDTMF{Code: uint32(ev.Code), Digit: string(d)},
					lksdk.WithDataPublishReliable(true))
			}
		}
		if sess.WritePacket(p) == nil {
			c.out.Add(1)
		}
	}
}
