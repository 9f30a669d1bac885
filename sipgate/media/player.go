package media

import (
	"context"
	"time"
)

// frameDuration is one packet's worth of audio (RFC 3551 §4.2).
const frameDuration = FrameSamples * time.Second / ClockRate

// Play sends prompt p on s as one talkspurt of codec c: one 160-sample frame
// every 20 ms, sent by the shared pacer (pacer.go) from its next pass on;
// sequence number +1 and timestamp +160 per packet, marker bit on the first
// (RFC 3550 §5.1, RFC 3551 §4.1). It returns once the last frame has played
// out (so a digit timer started afterwards starts when the caller has heard
// the prompt), or with ctx.Err() as soon as ctx is done: cancelling ctx when
// a digit arrives is barge-in. The next talkspurt's timestamp accounts for
// the silence in between (see Session.StartTalkspurt); no comfort noise is
// sent.
func Play(ctx context.Context, s *Session, p Prompt, c Codec) error {
	frames := p.Frames(c)
	return pace(ctx, s, s.PayloadType(c), frames, len(frames))
}

// Loop sends p over and over as one continuous talkspurt (music on hold)
// until ctx is done, and returns ctx.Err(). A silent prompt just waits.
func Loop(ctx context.Context, s *Session, p Prompt, c Codec) error {
	frames := p.Frames(c)
	if len(frames) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	return pace(ctx, s, s.PayloadType(c), frames, -1)
}

// pace plays n frames (n < 0: until ctx is done) on the shared pacers and
// waits for the last one to play out or for ctx.
func pace(ctx context.Context, s *Session, pt uint8, frames [][]byte, n int) error {
	if err := ctx.Err(); err != nil || n == 0 {
		return err
	}
	return pacers.play(ctx, &track{s: s, pt: pt, frames: frames, n: n, done: make(chan struct{})})
}

// play runs t on one of the set's pacers until it has played out or ctx is
// done.
func (set *pacerSet) play(ctx context.Context, t *track) error {
	set.pick().add(t)
	select {
	case <-ctx.Done():
		t.stop()
		return ctx.Err()
	case <-t.done:
		return t.err
	}
}
