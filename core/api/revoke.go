package api

import (
	"context"

	"github.com/meetline/meetline/core"
)

// Revocation reaches LiveKit: when a change takes someone's right to be in a
// room's meeting away, the core disconnects them at once. Their token would
// let them join again until it expires (LIVEKIT_TOKEN_TTL, 10 minutes), and
// LiveKit's join webhook closes that gap too (webhook.go). The change is
// saved before; a LiveKit failure is logged, not returned, so that a retry
// does not meet a change already made.

// removeLive disconnects the participants of room's meeting that gone
// selects, counting them under event; a room nobody is in is no error.
func (s *Server) removeLive(ctx context.Context, room, event string, gone func(core.LiveParticipant) bool) {
	ps, err := s.LiveKit.ListParticipants(ctx, room)
	if core.Code(err) == core.ENOTFOUND {
		return
	}
	if err != nil {
		s.Logger.Warn("revocation: participants not listed", "room", room, "err", err)
		return
	}
	for _, p := range ps {
		if !gone(p) {
			continue
		}
		if err := s.LiveKit.RemoveParticipant(ctx, room, p.Identity); err != nil && core.Code(err) != core.ENOTFOUND {
			s.Logger.Warn("revocation: participant not removed", "room", room, "err", err)
			continue
		}
		s.metrics.revocations.WithLabelValues(event).Inc()
	}
}

// removeUser disconnects the signed-in user whose role in room changed or
// went: they join again, if they still may, with a token that says what
// they are now.
func (s *Server) removeUser(ctx context.Context, room, userID, event string) {
	u, err := s.Users.FindUserByID(ctx, userID)
	if err != nil {
		s.Logger.Warn("revocation: user not found", "room", room, "err", err)
		return
	}
	s.removeLive(ctx, room, event, func(p core.LiveParticipant) bool { return !p.SIP && p.Identity == u.Sub })
}

// closeLive ends a deleted room's meeting.
func (s *Server) closeLive(ctx context.Context, room string) {
	err := s.LiveKit.DeleteRoom(ctx, room)
	switch {
	case err == nil:
		s.metrics.revocations.WithLabelValues("room_deleted").Inc()
	case core.Code(err) != core.ENOTFOUND:
		s.Logger.Warn("revocation: meeting of a deleted room not ended", "room", room, "err", err)
	}
}
