package caller

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Step is one stretch of a run: calls arriving at Rate per second for Duration (or Count calls), each
// planned by Plan.
type Step struct {
	Name     string
	Rate     float64
	Duration time.Duration
	// Count, when set, is how many calls the step places, at Rate, whatever Duration says.
	Count int
	// Plan draws one call of the step.
	Plan func(rng *rand.Rand) (Plan, error)
	// Skip, when set, is asked before the step starts: true skips it (a ramp stops once calls fail).
	Skip func() bool
	// OnStart, when set, is called as the step starts, on the arrival goroutine.
	OnStart func(start time.Time)
}

// calls is how many calls the step places.
func (s Step) calls() int {
	if s.Count > 0 {
		return s.Count
	}
	return int(s.Rate*s.Duration.Seconds() + 0.5)
}

// Runner places calls through its agents and media.
type Runner struct {
	Agents []*Agent
	Media  *Media
	Log    *slog.Logger
	// Seed makes the run's plans and RTP numbering reproducible.
	Seed uint64
	// MaxInFlight protects the generator: an arrival beyond it is skipped and counted, not placed.
	MaxInFlight int

	// OnDrain, when set, is called once the last arrival of a run is placed.
	OnDrain func()

	inFlight atomic.Int64
	placed   atomic.Uint64
	skipped  atomic.Uint64
	failed   atomic.Uint64
	index    atomic.Uint64
}

// Placed is how many calls the runner placed since it was made.
func (r *Runner) Placed() uint64 { return r.placed.Load() }

// Failures is how many calls failed since the runner was made, counted as they end.
func (r *Runner) Failures() uint64 { return r.failed.Load() }

// InFlight is how many calls are in progress right now.
func (r *Runner) InFlight() int64 { return r.inFlight.Load() }

// Skipped is how many arrivals MaxInFlight turned away since the runner was made.
func (r *Runner) Skipped() uint64 { return r.skipped.Load() }

// Run places the calls of steps one step after the other, on schedule (arrival i of a step at start +
// i/Rate; a late arrival is placed at once, and its Result says how late), and returns every call's
// Result once all have ended. release ends the holds of HoldUntilReleased calls; after the last arrival,
// calls get drain to end by themselves, then are cut. ctx ends the run: no more arrivals, and the calls
// still up are cut at once.
func (r *Runner) Run(ctx, release context.Context, steps []Step, drain time.Duration) []Result {
	cut, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		results []Result
		wg      sync.WaitGroup
	)
	for si, st := range steps {
		if st.Rate <= 0 || st.Skip != nil && st.Skip() {
			continue
		}
		interval := time.Duration(float64(time.Second) / st.Rate)
		start := time.Now()
		if st.OnStart != nil {
			st.OnStart(start)
		}
		for i := range st.calls() {
			due := start.Add(time.Duration(i) * interval)
			if sleepUntil(ctx, due) != nil {
				break
			}
			if r.MaxInFlight > 0 && r.inFlight.Load() >= int64(r.MaxInFlight) {
				r.skipped.Add(1)
				continue
			}
			idx := r.index.Add(1)
			agent := r.Agents[int(idx)%len(r.Agents)]
			r.inFlight.Add(1)
			wg.Go(func() {
				defer r.inFlight.Add(-1)
				res := r.one(cut, release, agent, st, idx)
				res.Step, res.Lag = si, max(res.Start.Sub(due), 0)
				if res.Failed() {
					r.failed.Add(1)
				}
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
			})
		}
	}
	if r.OnDrain != nil {
		r.OnDrain()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(drain)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		r.cut(cancel, done)
	case <-ctx.Done():
		r.cut(cancel, done)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(results)
}

// cut ends the calls still up and waits for them, at most cutGrace: a call cut while its INVITE waits for an
// answer sends CANCEL and may wait for sipgo's timers, and the run does not wait for such stragglers; their
// results are left out.
func (r *Runner) cut(cancel context.CancelFunc, done <-chan struct{}) {
	r.Log.Info("hanging up the calls still up", "calls", r.inFlight.Load())
	cancel()
	g := time.NewTimer(cutGrace)
	defer g.Stop()
	select {
	case <-done:
	case <-g.C:
		r.Log.Warn("calls still ending after the cut: left out of the results", "calls", r.inFlight.Load())
	}
}

// cutGrace is how long Run waits for cut calls to hang up.
const cutGrace = 5 * time.Second

// one plans and places one call.
func (r *Runner) one(ctx, release context.Context, a *Agent, st Step, idx uint64) Result {
	rng, seed := seedFor(r.Seed, idx)
	p, err := st.Plan(rng)
	if err != nil {
		r.Log.Error("cannot plan a call", "step", st.Name, "error", err)
		return Result{Start: time.Now(), End: time.Now(), Outcome: Failed, Prompt: fmt.Sprint(err)}
	}
	r.placed.Add(1)
	return a.Call(ctx, release, r.Media, p, seed)
}
