package media

import (
	"context"
	"time"
)

const (
	// frameDuration is one packet's worth of audio (RFC 3551 §4.2).
	frameDuration = FrameSamples * time.Second / ClockRate
	// maxLag is how late the sender may fall (a stalled process) before it
	// stops catching up with a burst and re-anchors its clock instead.
	maxLag = 5 * frameDuration
)

// Play sends prompt p on s as one talkspurt of codec c: one 160-sample frame
// every 20 ms, paced against the start time so that delays do not add up;
// sequence number +1 and timestamp +160 per packet, marker bit on the first
// (RFC 3550 §5.1, RFC 3551 §4.1). It returns once the last frame has played
// out (so a digit timer started afterwards starts when the caller has heard
// the prompt), or with ctx.Err() as soon as ctx is done: cancelling ctx when
// a digit arrives is barge-in. The next talkspurt's timestamp accounts for
// the silence in between (see Session.StartTalkspurt); no comfort noise is
// sent.
func Play(ctx context.Context, s *Session, p Prompt, c Codec) error {
	frames := p.Frames(c)
	return pace(ctx, s, s.PayloadType(c), len(frames), func(i int) []byte { return frames[i] })
}

// Loop sends p over and over as one continuous talkspurt (music on hold)
// until ctx is done, and returns ctx.Err(). A silent prompt just waits.
func Loop(ctx context.Context, s *Session, p Prompt, c Codec) error {
	frames := p.Frames(c)
	if len(frames) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	return pace(ctx, s, s.PayloadType(c), -1, func(i int) []byte { return frames[i%len(frames)] })
}

// pace sends n frames (n < 0: until ctx is done), frame i at start + i·20 ms.
func pace(ctx context.Context, s *Session, pt uint8, n int, frame func(int) []byte) error {
	if err := ctx.Err(); err != nil || n == 0 {
		return err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.StartTalkspurt()
	start := time.Now()
	for i := 0; n < 0 || i < n; i++ {
		due := start.Add(time.Duration(i) * frameDuration)
		if late := time.Since(due); late > maxLag {
			start, due = start.Add(late), due.Add(late)
		}
		if err := sleepUntil(ctx, timer, due); err != nil {
			return err
		}
		if err := s.WriteFrame(pt, frame(i), FrameSamples); err != nil {
			return err
		}
	}
	return sleepUntil(ctx, timer, start.Add(time.Duration(n)*frameDuration))
}

// sleepUntil waits for the wall-clock time at, or for ctx.
func sleepUntil(ctx context.Context, timer *time.Timer, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	timer.Reset(d)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
