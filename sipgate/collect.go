package sipgate

import (
	"context"
	"time"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// collect plays prompts and collects one PIN attempt: it returns the first Entry result other than
// Continue, or ctx's error. A key during the prompts stops them (barge-in) and counts. The first-digit
// timer starts when the prompts have played out.
func (s *Server) collect(ctx context.Context, c *call, entry *dtmf.Entry, prompts ...media.Name) (dtmf.Result, error) {
	stop, played := s.startPrompts(ctx, c, prompts)
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
			s.metrics.digits.WithLabelValues(p.Method.String()).Inc()
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
func (s *Server) startPrompts(ctx context.Context, c *call, names []media.Name) (stop func(), done <-chan struct{}) {
	pctx, cancel := context.WithCancel(ctx)
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for _, n := range names {
			if s.play(pctx, c, n) != nil {
				return
			}
		}
	}()
	return func() { cancel(); <-ch }, ch
}

// watchRTP ends the call (cause errNoRTP) once no RTP has arrived for limit (RFC 3550 §6.3.5 suggests
// timing out silent members; a caller whose phone died sends no BYE).
func watchRTP(ctx context.Context, cancel context.CancelCauseFunc, s *media.Session, limit time.Duration) {
	t := time.NewTicker(min(limit/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(s.LastReceived()) > limit {
				cancel(errNoRTP)
				return
			}
		}
	}
}
