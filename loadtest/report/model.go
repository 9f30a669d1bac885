package report

import "time"

// Report is everything one `make loadtest` measured; report.json is it as JSON, report.md as Markdown.
type Report struct {
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"seconds"`
	Machine  Machine           `json:"machine"`
	Settings map[string]string `json:"settings"`
	Fixtures Fixtures          `json:"fixtures"`
	// Background is the CPU of everything but the stack and the generator while the fixtures were made,
	// before any call, in percent of one core: other people's work on a shared machine.
	Background float64 `json:"background_cpu_pct_of_one_core"`
	// Components names the processes whose CPU the steps report, in the order of their maps' keys in the
	// Markdown tables.
	Components []string `json:"components"`
	// Steps is the step profile, the sustained step included (SustainIndex; -1 when it did not run).
	Steps        []Step `json:"steps"`
	SustainIndex int    `json:"sustain_index"`
	// RampLead is the median time from INVITE to '#' in the ramp, seconds: a step's calls are counted in
	// its window shifted by it (see the step table's note).
	RampLead float64 `json:"ramp_lead_seconds"`
	// SustainDrops is the kernel's drops on each process's sockets while the sustained step's CPU profiles ran.
	SustainDrops map[string]uint64 `json:"sustain_kernel_udp_drops_by_process,omitempty"`
	// SustainWaits is what the core's goroutines waited for during the sustained step.
	SustainWaits *Waits `json:"sustain_core_waits,omitempty"`
	// SustainResolvePin is how fast the core itself served ResolvePin while the sustained step was profiled.
	SustainResolvePin *Served `json:"sustain_core_resolve_pin,omitempty"`
	// Records is what the call records cost during the sustained step.
	Records     *Records     `json:"call_records,omitempty"`
	Concurrency *Concurrency `json:"concurrency,omitempty"`
	Sipp        []Sipp       `json:"sipp,omitempty"`
	SippCheck   *SippCheck   `json:"sipp_check,omitempty"`
	Bench       []BenchPair  `json:"bench,omitempty"`
	BenchOutput string       `json:"bench_output,omitempty"`
	// Floor is BenchmarkLoopbackFloor in this run: a call's media in system calls alone.
	Floor      *Floor     `json:"floor,omitempty"`
	Targets    []Target   `json:"targets"`
	Bottleneck Bottleneck `json:"bottleneck"`
	Profiles   []Profile  `json:"profiles,omitempty"`
	Notes      []string   `json:"notes,omitempty"`
}

// Machine is where the run ran and how sipgate was set up.
type Machine struct {
	CPUs            int    `json:"cpus"`
	Model           string `json:"model"`
	Go              string `json:"go"`
	SipgateMaxCalls int    `json:"sipgate_max_calls"`
	SipgateRTPPorts string `json:"sipgate_rtp_ports"`
}

// Fixtures is what the run created through the core's API.
type Fixtures struct {
	TrunkNumbers int `json:"trunk_numbers"`
	OpenRooms    int `json:"open_rooms"`
	WaitRooms    int `json:"wait_rooms"`
	// Elsewhere counts rooms the core gave a PIN in another, less loaded trunk.
	Elsewhere int `json:"elsewhere"`
}

// Step is one step of the profile: calls offered at a rate for a while.
type Step struct {
	Name     string  `json:"name"`
	Offered  float64 `json:"offered_per_s"`
	Seconds  float64 `json:"seconds"`
	Placed   int     `json:"placed"`
	Achieved float64 `json:"achieved_per_s"`
	Calls    Calls   `json:"calls"`
	Usage    Usage   `json:"usage"`
	// SipgateCPUPerCall is sipgate's CPU over the step divided by the calls placed in it, ms.
	SipgateCPUPerCall float64 `json:"sipgate_cpu_ms_per_call"`
	// ResolvePin is the core's mean ResolvePin time (its own histogram) while the step's calls typed '#', ms.
	ResolvePin float64 `json:"core_resolve_pin_mean_ms"`
	// Skipped counts arrivals the generator's in-flight cap turned away.
	Skipped uint64 `json:"skipped"`
}

// Usage is what the sampler saw over a window.
type Usage struct {
	CPU          map[string]float64 `json:"cpu_pct_of_one_core"`
	MachinePct   float64            `json:"machine_cpu_pct_of_all_cores"`
	PeakActive   float64            `json:"sipgate_peak_active_calls"`
	PeakBridged  float64            `json:"sipgate_peak_bridged_calls"`
	PeakFDs      int                `json:"sipgate_peak_open_files"`
	PeakInFlight int64              `json:"generator_peak_calls"`
	PeakRSS      map[string]uint64  `json:"peak_rss_bytes"`
	UDPRcvbuf    uint64             `json:"udp_rcvbuf_errors"`
	UDPIn        uint64             `json:"udp_in_errors"`
	// ResolvePin is the core's mean ResolvePin time over the window, ms.
	ResolvePin float64 `json:"core_resolve_pin_mean_ms"`
}

// Concurrency is the concurrent-calls phase: calls held in the IVR, waiting for their host, and bridged.
type Concurrency struct {
	Planned map[string]int `json:"planned"`
	Calls   Calls          `json:"calls"`
	// Usage covers the plateau: every call placed, none released.
	Usage          Usage   `json:"plateau_usage"`
	PlateauSeconds float64 `json:"plateau_seconds"`
	PlateauActive  float64 `json:"plateau_mean_active"`
	// Live heap (after a forced GC), RSS and goroutines of sipgate, idle and on the plateau.
	HeapIdle, HeapPlateau     float64 `json:"-"`
	RSSIdle, RSSPlateau       float64 `json:"-"`
	GoroutinesIdle, GoPlateau float64 `json:"-"`
	HeapPerCall               float64 `json:"sipgate_heap_bytes_per_call"`
	// HeapActive is sipgate's active calls when the plateau's heap was measured: the divisor.
	HeapActive        float64 `json:"sipgate_active_at_heap"`
	RSSPerCall        float64 `json:"sipgate_rss_bytes_per_call"`
	GoroutinesPerCall float64 `json:"sipgate_goroutines_per_call"`
	// CPUPerCall is sipgate's CPU on the plateau per active call, in percent of one core.
	CPUPerCall float64        `json:"sipgate_cpu_pct_per_call"`
	LossByKind map[string]RTP `json:"rtp_by_kind"`
	// KernelDrops counts the datagrams the kernel dropped for full socket buffers, on any socket of the
	// machine, over the whole phase: loss the callers cannot see (their packets to sipgate, sipgate's to the
	// stand-in), counted as RTP lost against the target.
	KernelDrops uint64 `json:"kernel_udp_drops"`
	// CoreWaits is what the core's goroutines waited for while the calls arrived.
	CoreWaits Waits `json:"core_waits"`
	// ResolvePin is how fast the core itself served ResolvePin over the phase.
	ResolvePin Served `json:"core_resolve_pin"`
	// DropsByProcess is the kernel's drops on each process's sockets over the phase (sockets open at the
	// plateau's end).
	DropsByProcess map[string]uint64 `json:"kernel_udp_drops_by_process"`
	// HandoffOverhead is '#' → bridged minus the "connecting" prompt that sipgate plays first.
	HandoffOverhead Latency `json:"handoff_overhead"`
	ConnectingMs    float64 `json:"connecting_prompt_ms"`
}

// Sipp is one sipp scenario of the cross-check.
type Sipp struct {
	Scenario string  `json:"scenario"`
	Method   string  `json:"method"`
	Rate     float64 `json:"rate_per_s"`
	Calls    int     `json:"calls"`
	OK       int     `json:"ok"`
	Failed   int     `json:"failed"`
	// ResponseTime is sipp's INVITE → 200 (its rtd), ms; ResponseMean its own average, µs precision.
	ResponseTime Latency `json:"response_time"`
	ResponseMean float64 `json:"response_mean_ms"`
	// Digits is the keys sipgate counted by this method meanwhile; PINsOK the PINs it resolved.
	Digits float64 `json:"sipgate_digits"`
	Error  string  `json:"error,omitempty"`
}

// SippCheck is what sipgate counted while sipp's scenarios ran (both at once): PINs resolved and calls the
// caller hung up, against the calls sipp completed.
type SippCheck struct {
	PINsOK  float64 `json:"pins_ok"`
	Hangups float64 `json:"hangups"`
}

// Target is one of the targets and what this run measured for it.
type Target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	Gap      string `json:"gap,omitempty"`
	Why      string `json:"why,omitempty"`
	// Before is the figure when the target's issue was filed, if known.
	Before string `json:"before,omitempty"`
}

// Bottleneck is the first resource to give out, with the evidence.
type Bottleneck struct {
	Resource string   `json:"resource"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence"`
}

// Served bounds the core's own ResolvePin times over a phase, from its histogram: p99 and the slowest are
// at most these, in seconds (histogram buckets, not exact figures).
type Served struct {
	Requests float64 `json:"requests"`
	P99      float64 `json:"p99_at_most_seconds"`
	Max      float64 `json:"max_at_most_seconds"`
}

// Waits is the most of the core's goroutines seen waiting at once, in goroutine profiles taken every half
// second: for a connection from its Postgres pool, for Valkey's answers, and all goroutines.
type Waits struct {
	Samples  int `json:"samples"`
	Total    int `json:"goroutines"`
	Postgres int `json:"waiting_for_postgres_connection"`
	Valkey   int `json:"waiting_for_valkey"`
}

// Profile is a pprof profile taken during the run, with its heaviest functions.
type Profile struct {
	Service string `json:"service"`
	Phase   string `json:"phase"`
	Kind    string `json:"kind"`
	File    string `json:"file"`
	Top     string `json:"top"`
}

// CPUPerCallSecond returns component's CPU on the plateau per active call, in ms per second: its
// percentage of one core is 10 ms per second per percent.
func (c *Concurrency) CPUPerCallSecond(component string) float64 {
	if c.PlateauActive <= 0 {
		return 0
	}
	return c.Usage.CPU[component] * 10 / c.PlateauActive
}

// Floor is what a call-second of media costs in system calls alone on this machine (sipgate/media's
// BenchmarkLoopbackFloor): no Go scheduling, no poller, no work on the payload.
type Floor struct {
	SendNs          float64 `json:"send_ns_per_packet"`
	RecvNs          float64 `json:"recv_ns_per_packet"`
	MsPerCallSecond float64 `json:"ms_per_call_second"`
}

// FloorOf reads the floor from BenchmarkLoopbackFloor's line; nil when b lacks its metrics.
func FloorOf(b Bench) *Floor {
	f := &Floor{SendNs: b.Metrics["send-ns/pkt"], RecvNs: b.Metrics["recv-ns/pkt"], MsPerCallSecond: b.Metrics["floor-ms/call-s"]}
	if f.SendNs <= 0 || f.RecvNs <= 0 || f.MsPerCallSecond <= 0 {
		return nil
	}
	return f
}
