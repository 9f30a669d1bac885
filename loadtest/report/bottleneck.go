package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meetline/meetline/loadtest/caller"
)

// Limits are the configured ceilings the bottleneck is judged against.
type Limits struct {
	MaxCalls int // SIPGATE_MAX_CALLS
	RTPPorts int // even ports in SIPGATE_RTP_PORTS: one per call, two per bridged call
	CPUs     int
}

// FindBottleneck names the first resource to give out: at the first step of the ramp with failures, or
// at the highest step when none failed (then the resource closest to its limit). The rules go from the
// most specific evidence to the least: a configured limit reached (503s at SIPGATE_MAX_CALLS or out of
// RTP ports), datagrams the kernel dropped (sockets), the machine's CPU, then the stores' CPU and the
// core's ResolvePin time against the lowest step's.
func (r *Report) FindBottleneck(l Limits) Bottleneck {
	order := r.sortedSteps()
	if len(order) == 0 {
		return Bottleneck{Resource: "unknown", Summary: "no step ran"}
	}
	at, failed := order[len(order)-1], false
	for _, i := range order {
		if r.Steps[i].Calls.Failed > 0 {
			at, failed = i, true
			break
		}
	}
	s, low := r.Steps[at], r.Steps[order[0]]
	ev := r.evidence(s, low, l)
	busy := s.Calls.Outcomes[string(caller.Busy)]
	b := Bottleneck{Evidence: ev}
	where := fmt.Sprintf("at %s calls/s", num(s.Offered))
	top := topCPU(s.Usage.CPU, 3)
	atLimit := failed && busy*2 >= s.Calls.Failed && l.MaxCalls > 0 && s.Usage.PeakActive >= 0.95*float64(l.MaxCalls)
	switch {
	case s.Usage.MachinePct >= 85:
		// A saturated CPU slows every call down; calls then last longer, pile up, and meet the call limit or
		// fill the sockets' buffers: those are its consequences, not the first bottleneck.
		b.Resource = "CPU"
		b.Summary = fmt.Sprintf("CPU %s: the machine's %d cores %.0f %% busy (%s)", where, l.CPUs, s.Usage.MachinePct, top)
		if first := r.saturatedFrom(order); first >= 0 && r.Steps[first].Offered < s.Offered {
			f := r.Steps[first]
			b.Summary += fmt.Sprintf("; saturated already from %s calls/s (%.0f %%), where '#' → \"connecting\" p99 rose to %.0f ms (%.0f ms at %s calls/s)",
				num(f.Offered), f.Usage.MachinePct, f.Calls.PINToConnecting.P99, low.Calls.PINToConnecting.P99, num(low.Offered))
		}
		if atLimit {
			b.Summary += fmt.Sprintf("; slowed down, calls piled up to SIPGATE_MAX_CALLS (%d) and %d got 503", l.MaxCalls, busy)
		}
		if s.Usage.UDPRcvbuf > 0 {
			b.Summary += fmt.Sprintf("; the kernel dropped %d datagrams from full socket buffers", s.Usage.UDPRcvbuf)
		}
	case atLimit:
		b.Resource = "call limit"
		b.Summary = fmt.Sprintf("sipgate's SIPGATE_MAX_CALLS (%d) %s: %d calls got 503 with %.0f active", l.MaxCalls, where, busy, s.Usage.PeakActive)
	case failed && busy*2 >= s.Calls.Failed && l.RTPPorts > 0 && s.Usage.PeakActive+s.Usage.PeakBridged >= 0.95*float64(l.RTPPorts):
		b.Resource = "ports"
		b.Summary = fmt.Sprintf("sipgate's RTP ports (%d in SIPGATE_RTP_PORTS) %s: %d calls got 503", l.RTPPorts, where, busy)
	case s.Usage.UDPRcvbuf > 0:
		b.Resource = "sockets"
		b.Summary = fmt.Sprintf("UDP receive buffers overflowed %s: the kernel dropped %d datagrams", where, s.Usage.UDPRcvbuf)
	case s.Usage.CPU["postgres"] >= 80 || low.ResolvePin > 0 && s.ResolvePin > 10*low.ResolvePin && s.ResolvePin > 20:
		b.Resource = "Postgres"
		b.Summary = fmt.Sprintf("Postgres %s: %.0f %% of a core, ResolvePin mean %.1f ms (%.1f ms at %s calls/s)",
			where, s.Usage.CPU["postgres"], s.ResolvePin, low.ResolvePin, num(low.Offered))
	case s.Usage.CPU["valkey"] >= 80:
		b.Resource = "Valkey"
		b.Summary = fmt.Sprintf("Valkey %s: %.0f %% of its one core", where, s.Usage.CPU["valkey"])
	case failed:
		b.Resource = "unclear"
		b.Summary = fmt.Sprintf("failures %s (%s) with no resource saturated: machine CPU %.0f %%", where, outcomeList(s.Calls), s.Usage.MachinePct)
	default:
		b.Resource = "none reached"
		b.Summary = fmt.Sprintf("no failure up to %s calls/s; closest to its limit is the CPU, %.0f %% of the machine's %d cores (%s)",
			num(s.Offered), s.Usage.MachinePct, l.CPUs, top)
	}
	if s.Calls.Lag.P99 > 100 {
		b.Summary += fmt.Sprintf("; the generator itself ran late (p99 %.0f ms behind schedule), so part of the load it meant to offer arrived late", s.Calls.Lag.P99)
	}
	return b
}

// saturatedFrom returns the first step, by rate, whose machine CPU reached 90 %, -1 for none.
func (r *Report) saturatedFrom(order []int) int {
	for _, i := range order {
		if r.Steps[i].Usage.MachinePct >= 90 {
			return i
		}
	}
	return -1
}

// evidence lists what the step measured, beside the lowest step for scale.
func (r *Report) evidence(s, low Step, l Limits) []string {
	ev := []string{
		fmt.Sprintf("step %s calls/s: %d calls placed (%.1f/s), %d failed (%s), %d cut", num(s.Offered), s.Placed, s.Achieved,
			s.Calls.Failed, orNone(outcomeList(s.Calls)), s.Calls.Cut),
		fmt.Sprintf("machine CPU %.0f %% of %d cores; by process (%% of one core): %s", s.Usage.MachinePct, l.CPUs, topCPU(s.Usage.CPU, len(s.Usage.CPU))),
		fmt.Sprintf("sipgate: peak %.0f active calls (SIPGATE_MAX_CALLS %d), %d open files, %.1f ms CPU per call (%.1f ms at %s calls/s)",
			s.Usage.PeakActive, l.MaxCalls, s.Usage.PeakFDs, s.SipgateCPUPerCall, low.SipgateCPUPerCall, num(low.Offered)),
		fmt.Sprintf("core: ResolvePin mean %.2f ms (%.2f ms at %s calls/s); '#' → \"connecting\" p99 %.1f ms (%.1f ms)",
			s.ResolvePin, low.ResolvePin, num(low.Offered), s.Calls.PINToConnecting.P99, low.Calls.PINToConnecting.P99),
		fmt.Sprintf("kernel UDP: %d receive-buffer drops, %d input errors", s.Usage.UDPRcvbuf, s.Usage.UDPIn),
		fmt.Sprintf("generator: p99 %.1f ms behind schedule, %d arrivals skipped at its cap", s.Calls.Lag.P99, s.Skipped),
	}
	if w := r.SustainWaits; w != nil && w.Samples > 0 {
		ev = append(ev, fmt.Sprintf("core, during the sustained step (goroutine profiles every 0.5 s, %d taken): at most %d goroutines, "+
			"%d of them waiting for a connection from its Postgres pool (pgxpool's default: max(4, CPUs) connections), %d for Valkey",
			w.Samples, w.Total, w.Postgres, w.Valkey))
	}
	if sv := r.SustainResolvePin; sv != nil && sv.Requests > 0 {
		ev = append(ev, fmt.Sprintf("core, same window: %.0f ResolvePin served in at most %s s at p99 and %s s at worst (its own "+
			"histogram; sipgate gives each call 2 s): a ResolvePin sipgate saw time out beyond that was slow outside the core's handler",
			sv.Requests, num(sv.P99), num(sv.Max)))
	}
	return ev
}

// topCPU writes the n busiest components, busiest first.
func topCPU(cpu map[string]float64, n int) string {
	names := make([]string, 0, len(cpu))
	for k := range cpu {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		switch {
		case cpu[a] > cpu[b]:
			return -1
		case cpu[a] < cpu[b]:
			return 1
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range names[:min(n, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %.0f %%", k, cpu[k]))
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
