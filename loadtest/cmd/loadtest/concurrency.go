package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
	"github.com/meetline/meetline/sipgate/media"
)

// bridgeRate is how fast bridged calls arrive: LiveKit's SIP stand-in joins each caller to a WebRTC room,
// and a burst of joins would time out behind each other.
const bridgeRate = 20.0

// sipgateState is sipgate's memory at one instant, after a forced garbage collection, and the kernel's
// drops on each process's sockets at the end of the plateau.
type sipgateState struct {
	heap, rss, goroutines, active float64
	drops                         map[string]uint64
}

// subDrops is after − before per process, 0 where sockets closed meanwhile took their counts with them.
func subDrops(after, before map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(after))
	for k, v := range after {
		if v > before[k] {
			out[k] = v - before[k]
		}
	}
	return out
}

// concurrency holds -conc calls at once: bridged ones first, then callers waiting for their host and
// callers typing slowly, arriving interleaved. Every call stays until the plateau ends.
func (t *loadTest) concurrency(ctx context.Context) {
	need, avail := t.estimate("concurrency"), t.left()-t.reserveAfter("concurrency")
	if need > avail {
		t.note("concurrency phase skipped: it needs about %v, %v left in the budget", need.Round(time.Second), avail.Round(time.Second))
		return
	}
	if n := t.waitIdle(ctx, 5*time.Second); n > 0 {
		t.note("sipgate still had %.0f calls of the ramp when the concurrency phase started: its idle heap includes them", n)
	}
	idle := t.sipgateState(ctx, "idle")
	rest := t.cfg.conc - t.cfg.concBridged
	c := &report.Concurrency{Planned: map[string]int{"bridged": t.cfg.concBridged, "waiting for their host": (rest + 1) / 2,
		"typing in the IVR": rest / 2}}
	var waits sync.WaitGroup
	arrivals := seconds(float64(rest) / t.cfg.concRate)
	steps := []caller.Step{
		{Name: "bridged", Rate: bridgeRate, Count: t.cfg.concBridged, Plan: t.bridgedPlan},
		{Name: "held", Rate: t.cfg.concRate, Count: rest, Plan: t.heldPlan,
			OnStart: func(time.Time) { waits.Go(func() { c.CoreWaits = t.watchCore(ctx, arrivals+2*time.Second) }) }},
	}
	var (
		mu        sync.Mutex
		plateau   time.Time
		ended     time.Time
		onPlateau sipgateState
		wg        sync.WaitGroup
	)
	// The plateau lasts -plateau, or until the probes are done if they take longer (a forced garbage
	// collection on a saturated machine can take seconds): the calls are released then, not before.
	pctx, release := context.WithCancel(ctx)
	defer release()
	t.runner.OnDrain = func() {
		mu.Lock()
		plateau = time.Now()
		mu.Unlock()
		wg.Go(func() {
			st := t.plateauProbes(pctx)
			_ = sleepCtx(pctx, time.Until(plateau.Add(t.cfg.plateau)))
			mu.Lock()
			onPlateau, ended = st, time.Now()
			mu.Unlock()
			release()
		})
	}
	t.log.Info("concurrency", "calls", t.cfg.conc, "bridged", t.cfg.concBridged, "plateau", t.cfg.plateau)
	began, dropsBefore, histBefore := time.Now(), probe.SocketDrops("/proc", t.targets), t.resolvePinHistogram(ctx)
	results := t.runner.Run(pctx, pctx, steps, t.cfg.plateau+time.Minute)
	c.ResolvePin = served(histBefore, t.resolvePinHistogram(ctx))
	whole, _ := t.usage(began, time.Now())
	t.record("concurrency", results)
	t.runner.OnDrain = nil
	wg.Wait()
	waits.Wait()
	mu.Lock()
	from, to := plateau, ended
	mu.Unlock()
	if from.IsZero() || to.IsZero() {
		return
	}
	u, samples := t.usage(from, to)
	c.Calls, c.Usage, c.PlateauSeconds = report.SummarizeCalls(results), u, to.Sub(from).Seconds()
	c.KernelDrops = whole.UDPRcvbuf
	c.DropsByProcess = subDrops(onPlateau.drops, dropsBefore)
	c.PlateauActive = meanActive(samples)
	c.HeapIdle, c.RSSIdle, c.GoroutinesIdle = idle.heap, idle.rss, idle.goroutines
	c.HeapPlateau, c.RSSPlateau, c.GoPlateau = onPlateau.heap, onPlateau.rss, onPlateau.goroutines
	c.HeapActive = onPlateau.active
	if n := onPlateau.active; n > 0 {
		c.HeapPerCall = (onPlateau.heap - idle.heap) / n
		c.RSSPerCall = (onPlateau.rss - idle.rss) / n
		c.GoroutinesPerCall = (onPlateau.goroutines - idle.goroutines) / n
	}
	if c.PlateauActive > 0 {
		c.CPUPerCall = u.CPU["sipgate"] / c.PlateauActive
	}
	c.LossByKind = map[string]report.RTP{}
	var overhead []time.Duration
	c.ConnectingMs = connectingMs()
	for _, r := range results {
		x := c.LossByKind[r.Kind.String()]
		x.Add(r.RTP)
		c.LossByKind[r.Kind.String()] = x
		if r.PINToBridge > 0 {
			overhead = append(overhead, r.PINToBridge-time.Duration(c.ConnectingMs*float64(time.Millisecond)))
		}
	}
	c.HandoffOverhead = report.Summarize(overhead)
	t.rep.Concurrency = c
	t.log.Info("concurrency done", "peak_active", u.PeakActive, "failed", c.Calls.Failed, "rtp_loss_pct", c.Calls.RTP.LossPct,
		"heap_per_call_kib", c.HeapPerCall/1024)
}

// bridgedPlan is a caller with the right PIN who stays, bridged into the room, until released.
func (t *loadTest) bridgedPlan(rng *rand.Rand) (caller.Plan, error) {
	_, method := t.cfg.mix.Draw(rng)
	p, err := t.fx.Book.Plan(rng, caller.Valid, method, caller.Brisk)
	p.Bridge, p.Hold = true, caller.HoldUntilReleased
	return p, err
}

// heldPlan is, one in two, a caller waiting for the host until released, else one dawdling over the PIN.
func (t *loadTest) heldPlan(rng *rand.Rand) (caller.Plan, error) {
	_, method := t.cfg.mix.Draw(rng)
	if rng.IntN(2) == 0 {
		p, err := t.fx.Book.Plan(rng, caller.Wait, method, caller.Brisk)
		p.Hold = caller.HoldUntilReleased
		return p, err
	}
	return t.fx.Book.Plan(rng, caller.Slow, method, caller.Dawdling)
}

// plateauProbes measures sipgate's memory once the plateau has settled, then profiles its CPU: memory first,
// since the heap profile's forced collection would show in the CPU profile.
func (t *loadTest) plateauProbes(ctx context.Context) sipgateState {
	if sleepCtx(ctx, plateauSettle) != nil {
		return sipgateState{}
	}
	st := t.sipgateState(ctx, "plateau")
	t.profile(ctx, "sipgate", "http://"+t.cfg.sipgateHTTP, "plateau", "cpu", fmt.Sprintf("profile?seconds=%d", plateauProfile/time.Second))
	st.drops = probe.SocketDrops("/proc", t.targets) // before the calls end and their sockets close
	return st
}

// The plateau's probes: a settling time, then the heap, then a CPU profile this long.
const (
	plateauSettle  = 1500 * time.Millisecond
	plateauProfile = 4 * time.Second
)

// sipgateState reads sipgate's active calls, RSS and goroutines, forces a garbage collection (the heap
// profile's gc=1, saved as well) and reads its live heap right after. The calls counted are those present
// when the collection began.
func (t *loadTest) sipgateState(ctx context.Context, phase string) sipgateState {
	base := "http://" + t.cfg.sipgateHTTP
	m, err := probe.Scrape(ctx, t.http, base+"/metrics")
	if err != nil {
		t.note("sipgate metrics unreadable (%s): %v", phase, err)
		return sipgateState{}
	}
	st := sipgateState{rss: m["process_resident_memory_bytes"], goroutines: m["go_goroutines"], active: m["sipgate_active_calls"]}
	t.profile(ctx, "sipgate", base, phase, "heap", "heap?gc=1")
	if m, err = probe.Scrape(ctx, t.http, base+"/metrics"); err != nil {
		t.note("sipgate metrics unreadable (%s): %v", phase, err)
		return sipgateState{}
	}
	st.heap = m["go_memstats_heap_alloc_bytes"]
	return st
}

// waitIdle waits until sipgate has no call left from an earlier phase, or for at most limit, and returns
// how many it still has.
func (t *loadTest) waitIdle(ctx context.Context, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	active := -1.0
	for ctx.Err() == nil {
		m, err := probe.Scrape(ctx, t.http, "http://"+t.cfg.sipgateHTTP+"/metrics")
		if err == nil {
			active = m["sipgate_active_calls"]
		}
		if active == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return max(active, 0)
}

// meanActive is sipgate's mean active calls over the samples whose scrape succeeded.
func meanActive(samples []probe.Sample) float64 {
	s, n := 0.0, 0
	for _, x := range samples {
		if x.Scraped {
			s += x.Active
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// connectingMs is how long sipgate's "connecting" prompt plays (en-us, the fixture trunk's language).
func connectingMs() float64 {
	ps, err := media.LoadPrompts()
	if err != nil {
		return 0
	}
	p, _ := ps.Get(media.DefaultLanguage, media.Connecting)
	return float64(p.Duration()) / float64(time.Millisecond)
}
