package probe

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Target is a component whose processes the sampler watches.
type Target struct {
	Name string
	Pids func() []int
	// Reaped adds the CPU of the processes' ended children (Postgres's backends).
	Reaped bool
}

// Pid is a Target's Pids for one process known in advance.
func Pid(pid int) func() []int { return func() []int { return []int{pid} } }

// Sample is the state of the machine, the watched processes and sipgate at one instant.
type Sample struct {
	At      time.Time
	CPU     []time.Duration // per target, cumulative
	RSS     []uint64        // per target
	Machine CPUTimes        // the machine's, cumulative over all cores
	UDP     UDP
	// sipgate's view, from its /metrics; Scraped is false when the scrape failed (a starved sipgate answers
	// late), and these are then zero.
	Scraped                                           bool
	Active, Bridged, HeapAlloc, HeapInuse, Goroutines float64
	// SipgateFDs is sipgate's open files: its RTP sockets, SIP listeners and connections.
	SipgateFDs int
	// InFlight is the generator's own count of calls in progress.
	InFlight int64
	// ResolvePinSum and ResolvePinCount are the core's ResolvePin duration histogram's sum (seconds) and
	// count, so that a window's mean is Δsum/Δcount.
	ResolvePinSum, ResolvePinCount float64
}

// resolvePin is the core's histogram of ResolvePin's duration.
const resolvePin = `meetline_rpc_duration_seconds_%s{procedure="/meetline.v1.TelephonyService/ResolvePin"}`

// Sampler samples every Every until its context ends. Make one with its fields set, then Run it.
type Sampler struct {
	Proc       string // /proc
	Targets    []Target
	SipgatePID int
	SipgateURL string // …/metrics
	CoreURL    string // …/metrics
	HTTP       *http.Client
	InFlight   func() int64
	Every      time.Duration

	mu      sync.Mutex
	samples []Sample
}

// Run samples until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		s.take(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Now takes one sample at once and returns it.
func (s *Sampler) Now(ctx context.Context) Sample { return s.take(ctx) }

func (s *Sampler) take(ctx context.Context) Sample {
	sm := Sample{At: time.Now(), CPU: make([]time.Duration, len(s.Targets)), RSS: make([]uint64, len(s.Targets))}
	for i, t := range s.Targets {
		for _, pid := range t.Pids() {
			cpu, err := ProcCPU(s.Proc, pid, t.Reaped)
			if err != nil {
				continue
			}
			rss, _ := ProcRSS(s.Proc, pid)
			sm.CPU[i] += cpu
			sm.RSS[i] += rss
		}
	}
	sm.Machine, _ = MachineCPU(s.Proc)
	sm.UDP, _ = ReadUDP(s.Proc)
	sm.SipgateFDs, _ = ProcFDs(s.Proc, s.SipgatePID)
	if s.InFlight != nil {
		sm.InFlight = s.InFlight()
	}
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if m, err := Scrape(sctx, s.HTTP, s.SipgateURL); err == nil {
		sm.Scraped = true
		sm.Active, sm.Bridged = m["sipgate_active_calls"], m["sipgate_bridged_calls"]
		sm.HeapAlloc, sm.HeapInuse = m["go_memstats_heap_alloc_bytes"], m["go_memstats_heap_inuse_bytes"]
		sm.Goroutines = m["go_goroutines"]
	}
	if m, err := Scrape(sctx, s.HTTP, s.CoreURL); err == nil {
		sm.ResolvePinSum, sm.ResolvePinCount = m[fmt.Sprintf(resolvePin, "sum")], m[fmt.Sprintf(resolvePin, "count")]
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.mu.Unlock()
	return sm
}

// Between returns the samples taken from from to to.
func (s *Sampler) Between(from, to time.Time) []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sample
	for _, sm := range s.samples {
		if !sm.At.Before(from) && !sm.At.After(to) {
			out = append(out, sm)
		}
	}
	return out
}

// Usage is what a window of samples says about each target and the machine.
type Usage struct {
	Seconds float64
	// IRQ is the kernel's interrupt and softirq time, in percent of one core: packets delivered on
	// loopback, charged to no process.
	IRQ float64
	// Others is the CPU of every process the targets are not, in percent of one core: other people's work
	// on a shared machine.
	Others float64
	// ResolvePin is the core's mean ResolvePin time over the window, ms (0 without calls).
	ResolvePin float64
	// CPU is each target's CPU in percent of one core, over the window.
	CPU []float64
	// Machine is the machine's CPU in percent of all its cores.
	Machine float64
	// PeakActive is sipgate's highest sipgate_active_calls; PeakRSS each target's highest RSS.
	PeakActive, PeakBridged float64
	PeakRSS                 []uint64
	PeakFDs                 int
	PeakInFlight            int64
	UDP                     UDP // drops over the window
}

// Use sums a window of samples, first to last.
func Use(samples []Sample) Usage {
	if len(samples) < 2 {
		return Usage{}
	}
	first, last := samples[0], samples[len(samples)-1]
	u := Usage{Seconds: last.At.Sub(first.At).Seconds(), CPU: make([]float64, len(first.CPU)),
		PeakRSS: make([]uint64, len(first.RSS)), UDP: last.UDP.Sub(first.UDP)}
	for i := range first.CPU {
		// Never below 0: a process that ended took its time with it (unless its parent reaped it, Reaped).
		u.CPU[i] = max(0, 100*(last.CPU[i]-first.CPU[i]).Seconds()/u.Seconds)
	}
	if dt := last.Machine.Total - first.Machine.Total; dt > 0 {
		u.Machine = 100 * float64(last.Machine.Busy-first.Machine.Busy) / float64(dt)
		u.IRQ = 100 * (last.Machine.IRQ - first.Machine.IRQ).Seconds() / u.Seconds
		// Total counts every core: busy time over it, times the cores, is busy time in "one core" units.
		cores := float64(dt) / float64(last.At.Sub(first.At))
		u.Others = u.Machine*cores - u.IRQ
		for _, c := range u.CPU {
			u.Others -= c
		}
		u.Others = max(u.Others, 0)
	}
	if dc := last.ResolvePinCount - first.ResolvePinCount; dc > 0 {
		u.ResolvePin = 1000 * (last.ResolvePinSum - first.ResolvePinSum) / dc
	}
	for _, sm := range samples {
		u.PeakActive = max(u.PeakActive, sm.Active)
		u.PeakBridged = max(u.PeakBridged, sm.Bridged)
		u.PeakFDs = max(u.PeakFDs, sm.SipgateFDs)
		u.PeakInFlight = max(u.PeakInFlight, sm.InFlight)
		for i, r := range sm.RSS {
			u.PeakRSS[i] = max(u.PeakRSS[i], r)
		}
	}
	return u
}
