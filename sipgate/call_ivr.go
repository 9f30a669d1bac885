package sipgate

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// errMaxIVR ends the PIN dialogue after MaxIVRTime.
var errMaxIVR = endedBy(OutcomeMaxDuration)

// readDigits reads the caller's RTP for the IVR, feeding telephone-events to the DTMF receiver — or, for a
// caller whose offer had no telephone-event, the audio to an in-band detector (ITU-T Q.23/Q.24), since its
// keys are only in the audio; audio also refreshes LastReceived, inside ReadPacket — until the returned stop
// is called; stop waits for the reader, so that the relay can be the socket's only reader after it. stop may
// be called more than once.
func (c *call) readDigits() (stop func()) {
	ctx, cancel := context.WithCancel(c.ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		var tones inband
		_ = c.media.Receive(ctx, func(_ []byte, p *rtp.Packet) bool {
			if c.evPT.Load() == 0 {
				tones.feed(c, p)
			} else {
				c.takeEvent(p)
			}
			return true
		})
	})
	return func() { cancel(); wg.Wait() }
}

// takeEvent hands a telephone-event packet (RFC 4733) of the caller to the DTMF receiver.
func (c *call) takeEvent(p *rtp.Packet) {
	if ev := c.evPT.Load(); ev != 0 && uint32(p.PayloadType) == ev {
		c.recv.RTP(p.SSRC, p.Timestamp, p.Payload)
	}
}

// inband is a call's in-band key detection: the detector and a buffer for one frame of linear audio.
type inband struct {
	det dtmf.Detector
	pcm [480]int16 // 60 ms, the longest ptime callers use
}

// feed decodes one G.711 frame of the caller's audio and hands it to the detector, whose keys go to the
// receiver. It does not allocate.
func (t *inband) feed(c *call, p *rtp.Packet) {
	if p.PayloadType != c.first.PT {
		return
	}
	n := min(len(p.Payload), len(t.pcm))
	decode := media.DecodeULaw
	if c.first.Codec == media.PCMA {
		decode = media.DecodeALaw
	}
	for i, b := range p.Payload[:n] {
		t.pcm[i] = decode(b)
	}
	t.det.Feed(t.pcm[:n], c.recv.Tone)
}

// runIVR is the PIN dialogue: prompt, keys until '#', the core's answer, again after a wrong PIN or a timeout
// up to PINAttempts times, within MaxIVRTime. It returns the room the PIN opens, or the call's outcome.
func (c *call) runIVR() (Room, Outcome) {
	s := c.srv
	ctx, cancel := context.WithTimeoutCause(c.ctx, s.cc.MaxIVRTime, errMaxIVR)
	defer cancel()
	entry := dtmf.NewEntry(dtmf.EntryConfig{
		FirstDigitTimeout: s.cc.FirstDigitTimeout,
		InterDigitTimeout: s.cc.InterDigitTimeout,
		MaxDigits:         s.cc.MaxDigits,
	}, time.Now())
	prompts := []media.Name{media.EnterPIN}
	failures, last := 0, OutcomeWrongPIN
	for {
		r, err := c.collect(ctx, entry, prompts...)
		if err != nil {
			return Room{}, outcomeOf(ctx)
		}
		var result string
		switch r.Outcome {
		case dtmf.Cleared:
			prompts = []media.Name{media.EnterPIN}
			continue
		case dtmf.TimedOutFirst, dtmf.TimedOutInter:
			result, prompts, last = pinTimeout, []media.Name{media.EnterPIN}, OutcomeTimeout
		case dtmf.TooLong, dtmf.Invalid:
			result, prompts, last = pinWrong, []media.Name{media.InvalidPIN, media.EnterPIN}, OutcomeWrongPIN
		case dtmf.Done:
			if room, outcome, done := c.resolve(ctx, r.PIN); done {
				return room, outcome
			}
			prompts, last = []media.Name{media.InvalidPIN, media.EnterPIN}, OutcomeWrongPIN
		}
		if result != "" {
			s.metrics.pinAttempts.WithLabelValues(result).Inc()
		}
		if failures++; failures >= s.cc.PINAttempts {
			c.say(ctx, prompts[:len(prompts)-1]...) // "invalid PIN" after a wrong one
			c.say(ctx, media.TooManyAttempts)
			return Room{}, last
		}
	}
}

// outcomeOf names why ctx ended: its outcomeError cause (the IVR limit, or what ended the call), else the
// caller hanging up.
func outcomeOf(ctx context.Context) Outcome {
	if cause := (outcomeError{}); errors.As(context.Cause(ctx), &cause) {
		return cause.outcome
	}
	return OutcomeHangup
}

// resolve asks the core which room pin opens. It reports done with the room (and no outcome) or with the
// call's outcome, or not done for a wrong PIN (the caller may try again). The PIN is never logged.
func (c *call) resolve(ctx context.Context, pin string) (room Room, outcome Outcome, done bool) {
	s := c.srv
	room, err := s.core.ResolvePin(ctx, c.called, pin, PINCaller{ID: c.caller, Trusted: c.trusted, CallID: c.callID})
	switch {
	case err == nil:
		s.metrics.pinAttempts.WithLabelValues(pinOK).Inc()
		c.log.Info("pin accepted", "room_id", room.ID)
		return room, 0, true
	case errors.Is(err, ErrWrongPIN):
		s.metrics.pinAttempts.WithLabelValues(pinWrong).Inc()
		return Room{}, 0, false
	case errors.Is(err, ErrLimited):
		s.metrics.pinAttempts.WithLabelValues(pinLimited).Inc()
		c.log.Info("pin attempts limited by the core")
		c.say(ctx, media.TooManyAttempts)
		return Room{}, OutcomeLimited, true
	case ctx.Err() != nil:
		return Room{}, outcomeOf(ctx), true
	default:
		s.metrics.pinAttempts.WithLabelValues(pinError).Inc()
		c.log.Warn("resolve pin failed", "error", err)
		c.say(ctx, media.Unavailable)
		return Room{}, OutcomeCoreError, true
	}
}

// collect plays prompts and collects one PIN attempt: it returns the first Entry result other than
// Continue, or ctx's error. A key during the prompts stops them (barge-in) and counts. The first-digit
// timer starts when the prompts have played out.
func (c *call) collect(ctx context.Context, entry *dtmf.Entry, prompts ...media.Name) (dtmf.Result, error) {
	stop, played := c.startPrompts(ctx, prompts)
	defer stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var timeout <-chan time.Time // nil while the prompts play
	entry.Restart(time.Now())
	for {
		select {
		case <-ctx.Done():
			return dtmf.Result{}, context.Cause(ctx)
		case <-played:
			played = nil
			entry.Restart(time.Now())
			timer.Reset(time.Until(entry.Deadline()))
			timeout = timer.C
		case p, ok := <-c.recv.Presses():
			if !ok {
				return dtmf.Result{}, context.Canceled
			}
			if played != nil { // barge-in
				stop()
				played, timeout = nil, timer.C
			}
			c.srv.metrics.digits.WithLabelValues(p.Method.String()).Inc()
			if r := entry.Press(p.Digit, p.At); r.Outcome != dtmf.Continue {
				return r, nil
			}
			if entry.Keys() == 0 { // an early '#': the attempt starts over
				entry.Restart(time.Now())
			}
			timer.Reset(time.Until(entry.Deadline()))
		case now := <-timeout:
			if r := entry.Timeout(now); r.Outcome != dtmf.Continue {
				return r, nil
			}
			timer.Reset(time.Until(entry.Deadline()))
		}
	}
}

// startPrompts plays names one after the other in a goroutine. done is closed when they have played out
// or were stopped; stop stops them and waits, so that nothing else writes to the session meanwhile.
func (c *call) startPrompts(ctx context.Context, names []media.Name) (stop func(), done <-chan struct{}) {
	pctx, cancel := context.WithCancel(ctx)
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for _, n := range names {
			if c.play(pctx, n) != nil {
				return
			}
		}
	}()
	return func() { cancel(); <-ch }, ch
}

// say plays prompts to the end, keys or not (no barge-in: these prompts end or follow a decision).
func (c *call) say(ctx context.Context, names ...media.Name) {
	for _, n := range names {
		if c.play(ctx, n) != nil {
			return
		}
	}
}

// play plays one prompt in the trunk's language (en-us when the language has no recordings).
func (c *call) play(ctx context.Context, name media.Name) error {
	p, ok := c.srv.prompts.Get(c.lang, name)
	if !ok {
		return nil
	}
	return media.Play(ctx, c.media, p, c.first.Codec)
}
