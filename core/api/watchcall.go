package api

import (
	"context"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// maxCallID bounds the call id WatchCall takes: sipgate's ids are Call-IDs,
// which sipgate itself bounds far below (sipgate/header.go).
const maxCallID = 256

// defaultRemovalGrace is PhoneRemovalGrace's default: the goodbye lasts
// about three seconds, and sipgate's BYE to LiveKit a few more at worst.
const defaultRemovalGrace = 15 * time.Second

// WatchCall streams the host actions told to a call (core.CallWatch) until
// sipgate closes the stream, after a first message without an action once
// the watch is in place (which also sends the response's headers, which
// Connect's clients wait for). It holds one goroutine, the handler's: the
// store's watch runs in it.
func (s *telephonyService) WatchCall(ctx context.Context, req *meetlinev1.WatchCallRequest, stream *connect.ServerStream[meetlinev1.WatchCallResponse]) error {
	switch {
	case req.CallId == "":
		return core.Invalid("call_id", "must be sipgate's id of the call")
	case len(req.CallId) > maxCallID:
		return core.Invalid("call_id", "must be at most 256 bytes")
	}
	return s.CallWatch.Watch(ctx, req.CallId, func(a core.HostAction) error {
		if a.Kind != "" {
			s.Logger.Info("host action told", "call_id", req.CallId, "action", string(a.Kind))
		}
		return stream.Send(&meetlinev1.WatchCallResponse{Action: hostActions[a.Kind], SelfUnmute: a.SelfUnmute})
	})
}

var hostActions = map[core.HostActionKind]meetlinev1.HostAction{
	core.HostMuted:   meetlinev1.HostAction_HOST_ACTION_MUTED,
	core.HostUnmuted: meetlinev1.HostAction_HOST_ACTION_UNMUTED,
	core.HostRemoved: meetlinev1.HostAction_HOST_ACTION_REMOVED,
}

// tellCaller tells a phone caller's sipgate what a host did and says
// whether a sipgate watches the call. A failure is only logged: what the
// host did is done, the caller just does not hear of it.
func (s *Server) tellCaller(ctx context.Context, p *core.LiveParticipant, a core.HostAction) bool {
	if !p.SIP || p.CallID == "" || s.CallWatch == nil {
		return false
	}
	watched, err := s.CallWatch.Tell(ctx, p.CallID, a)
	if err != nil {
		s.Logger.Warn("host action not told to the caller", "call_id", p.CallID, "action", string(a.Kind), "err", err)
		return false
	}
	return watched
}

// removeLater removes a caller whose sipgate was told to say goodbye and
// hang up, in case it does not: it went away meanwhile. A caller already
// gone (sipgate's BYE) is what should be.
func (s *Server) removeLater(room, identity string) {
	grace := s.PhoneRemovalGrace
	if grace == 0 {
		grace = defaultRemovalGrace
	}
	time.AfterFunc(grace, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.LiveKit.RemoveParticipant(ctx, room, identity)
		switch core.Code(err) {
		case "":
			s.Logger.Warn("removed caller still there after the grace period: removed by the core", "room", room)
		case core.ENOTFOUND:
		default:
			s.Logger.Warn("removing a caller after the grace period failed", "room", room, "err", err)
		}
	})
}
