package sipgate

import (
	"context"
	"errors"
	"time"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// runIVR is the PIN dialogue of an answered call: prompt, keys until '#', the core's answer, again after
// a wrong PIN or a timeout up to PINAttempts times, within MaxIVRTime. It returns the room the PIN opens,
// or the call's outcome when there is none.
func (s *Server) runIVR(ctx context.Context, c *call) (Room, string) {
	ctx, cancel := context.WithTimeoutCause(ctx, s.cc.MaxIVRTime, errMaxIVR)
	defer cancel()
	entry := dtmf.NewEntry(dtmf.EntryConfig{
		FirstDigitTimeout: s.cc.FirstDigitTimeout,
		InterDigitTimeout: s.cc.InterDigitTimeout,
		MaxDigits:         s.cc.MaxDigits,
	}, time.Now())
	prompts := []media.Name{media.EnterPIN}
	failures, last := 0, outcomeWrongPIN
	for {
		r, err := s.collect(ctx, c, entry, prompts...)
		if err != nil {
			return Room{}, endedOutcome(ctx)
		}
		var result string
		switch r.Outcome {
		case dtmf.Cleared:
			prompts = []media.Name{media.EnterPIN}
			continue
		case dtmf.TimedOutFirst, dtmf.TimedOutInter:
			result, prompts, last = pinTimeout, []media.Name{media.EnterPIN}, outcomeTimeout
		case dtmf.TooLong, dtmf.Invalid:
			result, prompts, last = pinWrong, []media.Name{media.InvalidPIN, media.EnterPIN}, outcomeWrongPIN
		case dtmf.Done:
			if room, outcome, done := s.resolve(ctx, c, r.PIN); done {
				return room, outcome
			}
			prompts, last = []media.Name{media.InvalidPIN, media.EnterPIN}, outcomeWrongPIN
		}
		if result != "" {
			s.metrics.pinAttempts.WithLabelValues(result).Inc()
		}
		if failures++; failures >= s.cc.PINAttempts {
			s.say(ctx, c, prompts[:len(prompts)-1]...) // "invalid PIN" after a wrong one
			s.say(ctx, c, media.TooManyAttempts)
			return Room{}, last
		}
	}
}

// resolve asks the core which room pin opens. It reports done with the room (and no outcome) or with the
// call's outcome, or not done for a wrong PIN (the caller may try again). The PIN is never logged.
func (s *Server) resolve(ctx context.Context, c *call, pin string) (room Room, outcome string, done bool) {
	room, err := s.core.ResolvePin(ctx, c.called, pin, PINCaller{ID: c.caller, Trusted: c.trusted, CallID: c.callID})
	switch {
	case err == nil:
		s.metrics.pinAttempts.WithLabelValues(pinOK).Inc()
		c.log.Info("pin accepted", "room_id", room.ID)
		return room, "", true
	case errors.Is(err, ErrWrongPIN):
		s.metrics.pinAttempts.WithLabelValues(pinWrong).Inc()
		return Room{}, "", false
	case errors.Is(err, ErrLimited):
		s.metrics.pinAttempts.WithLabelValues(pinLimited).Inc()
		c.log.Info("pin attempts limited by the core")
		s.say(ctx, c, media.TooManyAttempts)
		return Room{}, outcomeLimited, true
	case ctx.Err() != nil:
		return Room{}, endedOutcome(ctx), true
	default:
		s.metrics.pinAttempts.WithLabelValues(pinError).Inc()
		c.log.Warn("resolve pin failed", "error", err)
		s.say(ctx, c, media.Unavailable)
		return Room{}, outcomeCoreError, true
	}
}

// say plays prompts to the end, keys or not (no barge-in: these prompts end or follow a decision).
func (s *Server) say(ctx context.Context, c *call, names ...media.Name) {
	for _, n := range names {
		if s.play(ctx, c, n) != nil {
			return
		}
	}
}

// play plays one prompt in the trunk's language (en-us when the language has no recordings).
func (s *Server) play(ctx context.Context, c *call, name media.Name) error {
	p, ok := s.prompts.Get(c.lang, name)
	if !ok {
		return nil
	}
	return media.Play(ctx, c.media, p, c.codec)
}
