package main

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
	"github.com/meetline/meetline/loadtest/report"
)

// Warm-up: a few seconds of right-PIN calls before the first measured phase, left out of the figures. `make
// up` has just restarted the core and sipgate: their first calls pay for connection pools filling, sipgate's
// number cache and the Go runtime growing its heap, which is no property of the load.
const (
	warmUpRate  = 20.0
	warmUpTime  = 3 * time.Second
	warmUpDrain = 5 * time.Second
)

// warmUp places the warm-up calls and notes what they measured.
func (t *loadTest) warmUp(ctx context.Context) {
	t.warm = true
	if t.left() < warmUpEstimate+setupEstimate {
		t.note("warm-up skipped: %v left in the budget", t.left().Round(time.Second))
		return
	}
	step := caller.Step{Name: "warm-up", Rate: warmUpRate, Duration: warmUpTime, Plan: func(rng *rand.Rand) (caller.Plan, error) {
		_, method := t.cfg.mix.Draw(rng)
		return t.fx.Book.Plan(rng, caller.Valid, method, caller.Brisk)
	}}
	t.log.Info("warm-up", "rate", warmUpRate, "seconds", warmUpTime.Seconds())
	results := t.runner.Run(ctx, ctx, []caller.Step{step}, warmUpDrain)
	t.record("warm-up", results)
	c := report.SummarizeCalls(results)
	t.note("warm-up (left out of the figures): %d right-PIN calls at %g/s, %d ok, %d failed; '#' → \"connecting\" p50 %.1f ms, p99 %.1f ms",
		c.Calls, warmUpRate, c.OK, c.Failed, c.PINToConnecting.P50, c.PINToConnecting.P99)
}
