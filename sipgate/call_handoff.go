package sipgate

import (
	"context"

	"github.com/meetline/meetline/sipgate/media"
)

// handOff calls LiveKit for the caller and bridges both calls until either ends. When LiveKit cannot be
// reached the caller hears "service unavailable" and the call ends. stopIVR stops the IVR's reader of the
// caller's socket: the relay reads it from then on.
func (c *call) handOff(room Room, a Admission, stopIVR func()) Outcome {
	s := c.srv
	l, err := c.dial(room, a)
	if err != nil {
		if c.ctx.Err() != nil { // the caller hung up meanwhile: WaitAnswer sent CANCEL
			return c.endedOutcome()
		}
		s.metrics.handoffs.WithLabelValues(handoffFailed).Inc()
		c.log.Warn("livekit leg failed", "error", err)
		c.say(c.ctx, media.Unavailable)
		return OutcomeLiveKitError
	}
	s.metrics.handoffs.WithLabelValues(handoffBridged).Inc()
	return c.bridge(l, stopIVR)
}

// bridge relays RTP between the caller and LiveKit until either hangs up (or the call ends for another
// reason), then hangs up LiveKit's leg: BYE on either leg ends both (RFC 3261 §15).
func (c *call) bridge(l *leg, stopIVR func()) Outcome {
	s := c.srv
	s.calls.addLeg(c, l)
	defer s.calls.removeLeg(l)
	stopIVR()
	defer c.noteBridged()()
	ctx, cancel := context.WithCancel(c.ctx)
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
	return OutcomeConnected
}
