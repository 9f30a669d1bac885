package sipgate

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"

	"github.com/meetline/meetline/sipgate/media"
)

// handOff calls LiveKit for the caller and bridges both calls until either ends. When LiveKit cannot be
// reached the caller hears "service unavailable" and the call ends. stopIVR stops the IVR's reader of the
// caller's socket: the relay reads it from then on.
func (c *call) handOff(room Room, a Admission, stopIVR func()) Outcome {
	s := c.srv
	wctx, stopWatch := context.WithCancel(c.ctx)
	defer stopWatch()
	actions := c.watchHost(wctx)
	l, err := c.dial(room, a)
	if err != nil {
		if c.ctx.Err() != nil { // the caller hung up meanwhile: WaitAnswer sent CANCEL
			return c.endedOutcome()
		}
		s.metrics.handoffs.WithLabelValues(handoffFailed).Inc()
		c.log.Warn("livekit leg failed", "error", err)
		go c.reportHandoffFailure(a, err)
		c.say(c.ctx, media.Unavailable)
		return OutcomeLiveKitError
	}
	s.metrics.handoffs.WithLabelValues(handoffBridged).Inc()
	return c.bridge(room, a, l, stopIVR, actions)
}

// bridge relays RTP between the caller and LiveKit until either hangs up, a host removes the caller (or the
// call ends for another reason, or LiveKit's leg falls silent: watchLeg), then hangs up LiveKit's leg: BYE
// on either leg ends both (RFC 3261 §15). Meanwhile the caller's keypad commands (*6, *9, *0) are served
// (the relay shows the caller's telephone-events to the DTMF receiver on their way to LiveKit) and hosts'
// actions told (inMeeting).
func (c *call) bridge(room Room, a Admission, l *leg, stopIVR func(), actions <-chan HostAction) Outcome {
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
	var opts []media.RelayOption
	if pt := c.evPT.Load(); pt != 0 {
		opts = append(opts, media.WithEvents(uint8(pt), c.recv.RTP))
	}
	var wg sync.WaitGroup
	var silent atomic.Bool
	var removed bool
	wg.Go(func() {
		if removed = c.inMeeting(ctx, room, a.First, actions); removed {
			cancel()
		}
	})
	wg.Go(func() { c.watchLeg(ctx, l, func() { silent.Store(true); cancel() }) })
	stats := media.Relay(ctx, c.media, l.media, opts...)
	cancel()
	wg.Wait()
	s.metrics.bridged.Dec()
	if silent.Load() {
		go l.hangup() // a dead LiveKit answers no BYE: the caller need not wait for its timeout
	} else {
		l.hangup() // BYE to LiveKit unless LiveKit hung up
	}
	c.log.Info("bridge ended", "to_livekit", stats.AtoB.Packets, "to_caller", stats.BtoA.Packets,
		"dropped", stats.AtoB.Dropped+stats.BtoA.Dropped, "livekit_hung_up", l.dlg.Context().Err() != nil,
		"livekit_silent", silent.Load())
	switch {
	case removed:
		return OutcomeRemoved
	case silent.Load() && c.ctx.Err() == nil:
		// LiveKit's side died: the caller is told, as when the hand-off fails, rather than left in silence;
		// their socket is read meanwhile, as in the IVR, so that their own no-RTP watch stays quiet.
		stopReading := c.readDigits()
		defer stopReading()
		c.say(c.ctx, media.Unavailable)
		return OutcomeLiveKitError
	}
	return OutcomeConnected
}

// reportHandoffFailure tells the core that LiveKit refused or never answered the leg, so that it checks at
// once that sipgate's trunk and dispatch rule are still in LiveKit (they vanish when LiveKit's store is
// flushed). It runs beside the "unavailable" prompt and gives up after two seconds.
func (c *call) reportHandoffFailure(a Admission, err error) {
	f := HandoffFailure{LiveKitRoom: a.LiveKitRoom, CallID: c.callID, Reason: err.Error()}
	if res := (sipgo.ErrDialogResponse{}); errors.As(err, &res) && res.Res != nil {
		f.SIPStatus, f.Reason = res.Res.StatusCode, res.Res.Reason
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 2*time.Second)
	defer cancel()
	if err := c.srv.core.ReportHandoffFailure(ctx, f); err != nil {
		c.log.Info("hand-off failure not reported", "error", err)
	}
}
