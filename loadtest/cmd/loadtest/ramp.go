package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
)

// rampStep is a ramp step as planned: its rate, and whether it is the sustained one.
type rampStep struct {
	caller.Rate
	sustained bool
}

// planRamp puts the sustained rate among the ramp's in ascending order (replacing a step of the same rate)
// and drops the highest steps above it until the ramp and its drain fit in avail.
func planRamp(steps []caller.Rate, sustain caller.Rate, drain, avail time.Duration) (plan []rampStep, dropped []float64) {
	for _, s := range steps {
		if s.PerSecond != sustain.PerSecond {
			plan = append(plan, rampStep{Rate: s})
		}
	}
	if sustain.PerSecond > 0 && sustain.Duration > 0 {
		plan = append(plan, rampStep{Rate: sustain, sustained: true})
	}
	slices.SortStableFunc(plan, func(a, b rampStep) int {
		switch {
		case a.PerSecond < b.PerSecond:
			return -1
		case a.PerSecond > b.PerSecond:
			return 1
		}
		return 0
	})
	total := func() time.Duration {
		d := drain
		for _, s := range plan {
			d += s.Duration
		}
		return d
	}
	for len(plan) > 0 && total() > avail {
		i := len(plan) - 1
		if plan[i].sustained && i > 0 { // drop the step below the sustained one rather than the goal
			i--
		}
		dropped = append(dropped, plan[i].PerSecond)
		plan = slices.Delete(plan, i, i+1)
	}
	return plan, dropped
}

// ramp runs the step profile with the sustained step in it, then turns the results into the report's steps.
func (t *loadTest) ramp(ctx context.Context) {
	if n := t.waitIdle(ctx, 8*time.Second); n > 0 {
		t.note("sipgate still had %.0f calls of the earlier phases when the ramp started", n)
	}
	avail := t.left() - t.reserveAfter("ramp")
	plan, dropped := planRamp(t.cfg.steps, t.cfg.sustain, t.cfg.drain+6*time.Second, avail) // the cut takes up to 5 s more
	if len(dropped) > 0 {
		t.note("ramp steps dropped to fit the time budget: %v calls/s", dropped)
	}
	if len(plan) == 0 {
		t.note("ramp skipped: %v left in the budget", avail.Round(time.Second))
		return
	}
	var (
		mu      sync.Mutex
		starts  = make([]time.Time, len(plan))
		ran     = make([]bool, len(plan))
		failed0 = t.runner.Failures()
		placed0 = t.runner.Placed()
	)
	steps := make([]caller.Step, len(plan))
	for i, p := range plan {
		steps[i] = caller.Step{Name: fmt.Sprintf("%g/s", p.PerSecond), Rate: p.PerSecond, Duration: p.Duration,
			Plan: t.rampPlan,
			OnStart: func(start time.Time) {
				mu.Lock()
				starts[i], ran[i] = start, true
				mu.Unlock()
				if p.sustained {
					go t.profileSustain(ctx, p.Duration)
					go t.recordsWindow(ctx, p.Duration)
				}
			},
			Skip: func() bool {
				f, n := t.runner.Failures()-failed0, t.runner.Placed()-placed0
				return i > 0 && plan[i].PerSecond > t.cfg.sustain.PerSecond && f >= max(5, n/100)
			},
		}
	}
	t.log.Info("ramp", "steps", len(plan), "drain", t.cfg.drain)
	results := t.runner.Run(ctx, ctx, steps, t.cfg.drain)
	t.record("ramp", results)
	mu.Lock()
	defer mu.Unlock()
	t.rampReport(plan, results, starts, ran)
}

// rampPlan draws a ramp caller: the mix's kind and method, typing briskly (slow ones hesitantly), hanging
// up at the outcome, or with -hold, when admitted, staying bridged that long.
func (t *loadTest) rampPlan(rng *rand.Rand) (caller.Plan, error) {
	kind, method := t.cfg.mix.Draw(rng)
	typing := caller.Brisk
	if kind == caller.Slow {
		typing = caller.Hesitant
	}
	p, err := t.fx.Book.Plan(rng, kind, method, typing)
	if t.cfg.hold > 0 && (kind == caller.Valid || kind == caller.Slow) {
		p.Bridge, p.Hold = true, t.cfg.hold
	}
	return p, err
}

// profileSustain takes CPU profiles of sipgate and the core in the middle of the sustained step.
func (t *loadTest) profileSustain(ctx context.Context, length time.Duration) {
	lead := min(10*time.Second, length/4)
	secs := int(min(20*time.Second, length-lead-2*time.Second) / time.Second)
	if secs < 2 {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(lead):
	}
	what := fmt.Sprintf("profile?seconds=%d", secs)
	before, hist := probe.SocketDrops("/proc", t.targets), t.resolvePinHistogram(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		w := t.watchCore(ctx, time.Duration(secs)*time.Second)
		t.mu.Lock()
		t.rep.SustainWaits = &w
		t.mu.Unlock()
	})
	wg.Go(func() { t.profile(ctx, "sipgate", "http://"+t.cfg.sipgateHTTP, "sustained", "cpu", what) })
	wg.Go(func() { t.profile(ctx, "core", t.cfg.coreAdminURL, "sustained", "cpu", what) })
	wg.Wait()
	drops, sv := subDrops(probe.SocketDrops("/proc", t.targets), before), served(hist, t.resolvePinHistogram(ctx))
	t.mu.Lock()
	t.rep.SustainDrops, t.rep.SustainResolvePin = drops, &sv
	t.mu.Unlock()
}

// rampReport turns the ramp's calls and samples into the report's steps. A call counts in the step
// during which it was decided (its '#', or its failure), not the one that placed it: the windows are the
// steps' shifted by the median time from INVITE to '#' of each step's brisk callers, so that a slow
// typist's '#', which comes 10 to 20 s after its INVITE, counts under the load it met. Arrivals (placed,
// achieved rate) count by placement; CPU, like decisions, over the shifted window.
func (t *loadTest) rampReport(plan []rampStep, results []caller.Result, starts []time.Time, ran []bool) {
	placed := make([]int, len(plan))
	for _, r := range results {
		if r.Step >= 0 && r.Step < len(plan) {
			placed[r.Step]++
		}
	}
	var order []int
	for i, p := range plan {
		if ran[i] {
			order = append(order, i)
		} else {
			t.note("ramp step %g calls/s skipped: calls were already failing", p.PerSecond)
		}
	}
	leads := make([]time.Duration, len(plan))
	for _, i := range order {
		leads[i] = hashLead(results, i)
	}
	for k, i := range order {
		p := plan[i]
		from, to := starts[i].Add(leads[i]), starts[i].Add(p.Duration+leads[i])
		lo, hi := from, time.Time{} // decisions from this step's shifted start to the next one's
		if k == 0 {
			lo = time.Time{}
		}
		if k+1 < len(order) {
			hi = starts[order[k+1]].Add(leads[order[k+1]])
		}
		u, _ := t.usage(from, to)
		s := report.Step{Name: fmt.Sprintf("%g/s", p.PerSecond), Offered: p.PerSecond, Seconds: p.Duration.Seconds(),
			Placed: placed[i], Calls: report.SummarizeCalls(decidedBetween(results, lo, hi)), Usage: u, ResolvePin: u.ResolvePin}
		s.Achieved = float64(s.Placed) / s.Seconds
		if s.Placed > 0 {
			s.SipgateCPUPerCall = u.CPU["sipgate"] / 100 * s.Seconds * 1000 / float64(s.Placed)
		}
		if p.sustained {
			t.rep.SustainIndex = len(t.rep.Steps)
		}
		t.rep.Steps = append(t.rep.Steps, s)
		t.log.Info("ramp step", "offered", p.PerSecond, "placed", s.Placed, "decided", s.Calls.Calls, "failed", s.Calls.Failed,
			"pin_p99_ms", s.Calls.PINToConnecting.P99, "machine_cpu", fmt.Sprintf("%.0f%%", u.MachinePct))
	}
	if len(order) > 0 {
		t.rep.RampLead = leads[order[0]].Seconds()
	}
}

// decidedBetween returns the calls decided from lo (zero: the beginning) to hi (zero: the end).
func decidedBetween(results []caller.Result, lo, hi time.Time) []caller.Result {
	var out []caller.Result
	for _, r := range results {
		at := r.Decided()
		if (lo.IsZero() || !at.Before(lo)) && (hi.IsZero() || at.Before(hi)) {
			out = append(out, r)
		}
	}
	return out
}

// hashLead is the median time from INVITE to '#' of the calls step placed, slow typists left out: the
// time a step's calls take to reach their decision.
func hashLead(results []caller.Result, step int) time.Duration {
	var ds []time.Duration
	for _, r := range results {
		if r.Step == step && r.Kind != caller.Slow && !r.Hash.IsZero() {
			ds = append(ds, r.Hash.Sub(r.Start))
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// reserveAfter is the time the phases after phase need, the warm-up included when it is still to come.
func (t *loadTest) reserveAfter(phase string) time.Duration {
	d := setupEstimate
	after, calls := false, false
	for _, p := range phaseNames {
		if after && t.cfg.phases[p] {
			d += t.estimate(p)
			calls = calls || p != "bench"
		}
		after = after || p == phase
	}
	if calls && !t.warm {
		d += warmUpEstimate
	}
	return d
}

// estimate is how long a phase takes.
func (t *loadTest) estimate(phase string) time.Duration {
	switch phase {
	case "concurrency":
		rest := t.cfg.conc - t.cfg.concBridged
		return seconds(float64(t.cfg.concBridged)/bridgeRate+float64(rest)/t.cfg.concRate) + t.cfg.plateau + 8*time.Second
	case "sipp":
		return t.cfg.sippTime + sippOverhead
	case "bench":
		return benchEstimate + spoolBenchEstimate
	case "ramp": // its least: the sustained step, one step below it and the drain; planRamp drops the rest to fit
		d := t.cfg.sustain.Duration + t.cfg.drain + 6*time.Second
		if len(t.cfg.steps) > 0 {
			d += t.cfg.steps[0].Duration
		}
		return d
	}
	return 0
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
