package livekit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// The core is the single owner of LiveKit's SIP routing for sipgate: the
// inbound trunk and the Callee dispatch rule of sip.go. LiveKit keeps them in
// its Redis, which a fail-over, a flush or a restart without persistence
// empties; from then on every hand-off fails ("No SIP trunk matched"). So
// every replica ensures them again and again: every interval, and at once
// when sipgate reports a failed hand-off. EnsureSIPRouting only lists when
// nothing changed (three list calls), which LiveKit answers in a few
// milliseconds.

// ReconcileTiming says how often a SIPReconciler looks.
type ReconcileTiming struct {
	// Interval is the wait between two checks that succeed.
	Interval time.Duration
	// Attempt bounds one check.
	Attempt time.Duration
	// Min is the first wait after a failed check, doubled after each
	// further failure up to Interval; it is also the least time between two
	// checks, however often a check is asked for.
	Min time.Duration
}

// DefaultReconcileTiming looks every 30 s, and again within a second or two
// while LiveKit fails.
var DefaultReconcileTiming = ReconcileTiming{Interval: 30 * time.Second, Attempt: 10 * time.Second, Min: time.Second}

// SIPReconciler keeps a SIPRouting in place in LiveKit and remembers what it
// last observed, for readiness.
type SIPReconciler struct {
	lk      *Client
	routing SIPRouting
	timing  ReconcileTiming
	log     *slog.Logger
	kick    chan struct{}

	mu      sync.Mutex
	lastOK  time.Time // when a check last found (or put) everything in place
	lastErr error     // of the last check; nil when it succeeded
	errAt   time.Time
}

// NewSIPReconciler returns a reconciler of r; Start starts it. Only errors
// and ids are logged, never r, which holds the password.
func NewSIPReconciler(lk *Client, r SIPRouting, timing ReconcileTiming, log *slog.Logger) *SIPReconciler {
	return &SIPReconciler{lk: lk, routing: r, timing: timing, log: log.With("trunk", r.TrunkName),
		kick: make(chan struct{}, 1), lastErr: errors.New("not checked yet"), errAt: time.Now()}
}

// Start checks once before it returns, so that a core starting beside a
// healthy LiveKit is ready at once, then goes on checking in the background
// until ctx ends.
func (s *SIPReconciler) Start(ctx context.Context) {
	err := s.check(ctx)
	go s.run(ctx, err)
}

// Trigger asks for a check now (after Min since the last one). It never
// blocks: requests that arrive while one is pending are one request.
func (s *SIPReconciler) Trigger() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// run waits Interval after a success and a doubling wait after failures,
// each cut by up to half at random so that replicas started together do not
// all ask at the same moment; a Trigger cuts the wait short.
func (s *SIPReconciler) run(ctx context.Context, err error) {
	backoff := s.timing.Min
	last := time.Now()
	for {
		wait := s.timing.Interval
		if err != nil {
			wait, backoff = backoff, min(2*backoff, s.timing.Interval)
		} else {
			backoff = s.timing.Min
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.kick:
			t.Stop()
			if !sleep(ctx, time.Until(last.Add(s.timing.Min))) {
				return
			}
		}
		last = time.Now()
		err = s.check(ctx)
	}
}

// sleep waits d unless ctx ends first, and reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// check ensures the routing once and records the outcome. It logs changes
// of state, not every check: a success after failures, and failures.
func (s *SIPReconciler) check(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, s.timing.Attempt)
	defer cancel()
	trunkID, ruleID, err := s.lk.EnsureSIPRouting(actx, s.routing)
	if ctx.Err() != nil {
		return err
	}
	s.mu.Lock()
	wasOK := s.lastErr == nil
	now := time.Now()
	if s.lastErr = err; err == nil {
		s.lastOK = now
	} else {
		s.errAt = now
	}
	s.mu.Unlock()
	switch {
	case err != nil:
		s.log.Warn("LiveKit SIP routing not in place; trying again", "err", err)
	case !wasOK:
		s.log.Info("LiveKit SIP routing in place", "trunk_id", trunkID, "rule_id", ruleID)
	}
	return err
}

// Ping is the readiness check: it fails when the last check failed, or when
// no check succeeded for two intervals (the loop is stuck). It reports what
// was observed, without asking LiveKit.
func (s *SIPReconciler) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return fmt.Errorf("last check %s ago: %w", since(s.errAt), s.lastErr)
	}
	if stale := 2*s.timing.Interval + s.timing.Attempt; time.Since(s.lastOK) > stale {
		return fmt.Errorf("no check for %s", since(s.lastOK))
	}
	return nil
}

// LastOK says when a check last found the routing in place (zero: never).
func (s *SIPReconciler) LastOK() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastOK
}

func since(t time.Time) time.Duration {
	return time.Since(t).Round(time.Millisecond)
}
