package sipgate

import (
	"context"

	"github.com/meetline/meetline/sipgate/media"
)

// converse is an answered call from the first prompt to the hand-off: the PIN dialogue, the wait for the
// host or the lobby's decision, then the call into the LiveKit room, by REFER when the trunk says so and
// the carrier agrees, else bridged. It returns the call's outcome.
func (s *Server) converse(ctx context.Context, c *call) string {
	room, outcome := s.runIVR(ctx, c)
	if outcome != "" {
		return outcome
	}
	a, outcome := s.admit(ctx, c, room)
	if outcome != "" {
		return outcome
	}
	s.say(ctx, c, media.Connecting)
	if ctx.Err() != nil {
		return endedOutcome(ctx)
	}
	if c.refer && s.transfer(ctx, c, room, a) {
		return outcomeTransferred
	}
	return s.handOff(ctx, c, room, a)
}

// handOff calls LiveKit for c and bridges both calls until either ends. When LiveKit cannot be reached
// the caller hears "service unavailable" and the call ends.
func (s *Server) handOff(ctx context.Context, c *call, room Room, a Admission) string {
	l, err := s.dial(ctx, c, room, a)
	if err != nil {
		if ctx.Err() != nil { // the caller hung up meanwhile: WaitAnswer sent CANCEL
			return endedOutcome(ctx)
		}
		s.metrics.handoffs.WithLabelValues(handoffFailed).Inc()
		c.log.Warn("livekit leg failed", "error", err)
		s.say(ctx, c, media.Unavailable)
		return outcomeLiveKit
	}
	s.metrics.handoffs.WithLabelValues(handoffBridged).Inc()
	return s.bridge(ctx, c, l)
}

// bridge relays RTP between the caller and LiveKit until either hangs up (or the caller's RTP stops, or
// sipgate shuts down), then hangs up the other: BYE on either leg ends both (RFC 3261 §15).
func (s *Server) bridge(ctx context.Context, c *call, l *leg) string {
	s.calls.addLeg(c, l)
	defer s.calls.removeLeg(l)
	c.stopIVR() // the relay is now the only reader of the caller's socket
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(l.dlg.Context(), cancel) // LiveKit's BYE
	defer stop()
	c.log.Info("bridged", "leg_call_id", l.dlg.InviteRequest.CallID().Value())
	s.metrics.bridged.Inc()
	stats := media.Relay(ctx, c.media, l.media)
	s.metrics.bridged.Dec()
	l.hangup() // BYE to LiveKit unless LiveKit hung up
	c.log.Info("bridge ended", "to_livekit", stats.AtoB.Packets, "to_caller", stats.BtoA.Packets,
		"dropped", stats.AtoB.Dropped+stats.BtoA.Dropped, "livekit_hung_up", l.dlg.Context().Err() != nil)
	return outcomeConnected
}
