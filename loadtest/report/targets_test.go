package report

import (
	"strings"
	"testing"
)

// step makes a ramp step with n calls, f of them failed, p99 '#' → connecting of p99 ms.
func step(offered float64, n, f int, p99, machine float64, outcomes map[string]int) Step {
	return Step{Offered: offered, Seconds: 3, Placed: n, Achieved: float64(n) / 3,
		Calls: Calls{Calls: n, OK: n - f, Failed: f, Outcomes: outcomes, PINToConnecting: Latency{N: n, P50: p99 / 3, P99: p99}},
		Usage: Usage{MachinePct: machine, CPU: map[string]float64{"sipgate": 60, "generator": 50, "postgres": 10}}}
}

func testReport() *Report {
	r := &Report{SustainIndex: 2, Machine: Machine{CPUs: 2}}
	r.Steps = []Step{
		step(50, 150, 0, 12, 30, map[string]int{"admitted": 150}),
		step(100, 300, 0, 20, 50, map[string]int{"admitted": 300}),
		{Offered: 200, Seconds: 60, Placed: 12000, Achieved: 200, Calls: Calls{Calls: 12000, OK: 12000, Outcomes: map[string]int{"admitted": 12000},
			PINToConnecting: Latency{N: 12000, P99: 35}}, Usage: Usage{MachinePct: 80, CPU: map[string]float64{"sipgate": 90}},
			SipgateCPUPerCall: 3.9},
		step(300, 900, 90, 900, 97, map[string]int{"admitted": 810, "no_answer": 60, "no_outcome": 30}),
	}
	r.Records = testRecords()
	r.Concurrency = &Concurrency{PlateauActive: 1000, HeapActive: 1000, HeapIdle: 4 << 20, HeapPlateau: 4<<20 + 1000*40<<10, HeapPerCall: 40 << 10,
		Usage: Usage{PeakActive: 1012, PeakBridged: 100, CPU: map[string]float64{"sipgate": 15, "generator": 10}}, Calls: Calls{RTP: RTP{Lost: 5, Expected: 100000, LossPct: 0.005}}}
	return r
}

func TestCheckTargetsMet(t *testing.T) {
	r := testReport()
	max, i := r.MaxRate()
	if max != 200 || i != 2 {
		t.Fatalf("MaxRate = %v (step %d), want 200: the highest clean step", max, i)
	}
	if h, exact := r.HalfStep(max); h != 1 || !exact {
		t.Fatalf("HalfStep(200) = %d, %v; want the 100/s step", h, exact)
	}
	if h, exact := r.HalfStep(50); h != 0 || exact {
		t.Fatalf("HalfStep(50) = %d, %v; want the lowest step, not exact", h, exact)
	}
	for _, tg := range r.CheckTargets(DefaultGoals) {
		if !tg.Met {
			t.Errorf("%s: not met: %s (%s)", tg.Name, tg.Gap, tg.Measured)
		}
	}
}

func TestCheckTargetsMissed(t *testing.T) {
	r := testReport()
	r.Steps[2].Calls.Failed, r.Steps[2].Calls.OK = 12, 11988
	r.Steps[2].Calls.Outcomes["busy"] = 12
	r.Steps[0].Calls.PINToConnecting.P99 = 80
	r.Steps[1].Calls.PINToConnecting.P99 = 120
	r.Concurrency.Usage.PeakActive = 900
	r.Concurrency.Calls.RTP.LossPct = 0.25
	r.Concurrency.HeapPerCall = 96 << 10
	r.Concurrency.Usage.CPU = map[string]float64{"sipgate": 30, "generator": 45}
	r.Records.Final, r.Records.WriteP99 = 11990, 0.025
	got := map[string]Target{}
	for _, tg := range r.CheckTargets(DefaultGoals) {
		got[tg.Name] = tg
	}
	for name, want := range map[string]string{
		"sustained rate":                  "12 failures (0.10 % of calls): busy 12",
		"concurrent calls":                "100 calls short of 1000; loss 0.250 % is 2.5× the limit",
		"PIN to hand-off":                 "p99 80.0 ms is 30.0 ms over (1.6×)",
		"PIN to hand-off at a fixed rate": "p99 120.0 ms is 70.0 ms over (2.4×)",
		"heap per call":                   "32.0 KiB over (1.50×)",
		"CPU per call-second":             "sipgate 0.100 ms over (1.50×); the generator costs 1.50× sipgate",
		"call records":                    "10 calls ended without a final record (12000 ended, 0 of them rejected, 11990 final records); a call's wait for its record p99 ≤ 25 ms is over 10 ms",
	} {
		tg := got[name]
		if tg.Met || !strings.Contains(tg.Gap, want) {
			t.Errorf("%s: met=%v gap %q, want %q", name, tg.Met, tg.Gap, want)
		}
	}
	if b := got["CPU per call-second"].Before; !strings.Contains(b, "0.62 ms") {
		t.Errorf("CPU per call-second: before %q, want the figure when issue 22 was filed", b)
	}
	// The maximum is now the 100/s step: half of it is the 50/s one.
	if m, _ := r.MaxRate(); m != 100 {
		t.Errorf("MaxRate = %v, want 100", m)
	}
}

func TestCheckTargetsWithoutPhases(t *testing.T) {
	r := &Report{SustainIndex: -1}
	for _, tg := range r.CheckTargets(DefaultGoals) {
		if tg.Met || tg.Gap == "" {
			t.Errorf("%s without data: met=%v gap %q", tg.Name, tg.Met, tg.Gap)
		}
	}
}

func TestFindBottleneck(t *testing.T) {
	r := testReport()
	b := r.FindBottleneck(Limits{MaxCalls: 1500, RTPPorts: 2000, CPUs: 2})
	if b.Resource != "CPU" || !strings.Contains(b.Summary, "at 300 calls/s") || len(b.Evidence) == 0 {
		t.Errorf("bottleneck %+v, want the CPU at the first failing step", b)
	}

	r.Steps[3].Calls.Outcomes = map[string]int{"busy": 90}
	r.Steps[3].Usage.PeakActive = 1500
	if b := r.FindBottleneck(Limits{MaxCalls: 1500, CPUs: 2}); b.Resource != "CPU" || !strings.Contains(b.Summary, "piled up to SIPGATE_MAX_CALLS") {
		t.Errorf("503s at the call limit with the CPU saturated: %+v", b)
	}
	r.Steps[3].Usage.MachinePct = 60
	if b := r.FindBottleneck(Limits{MaxCalls: 1500, CPUs: 2}); b.Resource != "call limit" {
		t.Errorf("503s at the call limit: %+v", b)
	}

	r.Steps[3].Usage.PeakActive, r.Steps[3].Usage.UDPRcvbuf = 700, 4000
	if b := r.FindBottleneck(Limits{MaxCalls: 1500, CPUs: 2}); b.Resource != "sockets" {
		t.Errorf("kernel drops: %+v", b)
	}

	r.Steps = r.Steps[:3] // no failing step
	if b := r.FindBottleneck(Limits{MaxCalls: 1500, CPUs: 2}); b.Resource != "none reached" || !strings.Contains(b.Summary, "200 calls/s") {
		t.Errorf("no failure: %+v", b)
	}
	if b := (&Report{}).FindBottleneck(Limits{}); b.Resource != "unknown" {
		t.Errorf("no step: %+v", b)
	}
}

func TestMarkdownRendersEverySection(t *testing.T) {
	r := testReport()
	r.Components = []string{"sipgate", "generator", "others"}
	r.Bench = []BenchPair{{Name: "BenchmarkResolvePin/c=8", Connect: Bench{NsPerOp: 400000}, Baseline: Bench{NsPerOp: 80000}, Ratio: 0.2}}
	r.Sipp = []Sipp{{Scenario: "pin_rtp", Method: "rfc4733", Rate: 25, Calls: 75, OK: 75}}
	r.SippCheck = &SippCheck{PINsOK: 150, Hangups: 150}
	r.Profiles = []Profile{{Service: "sipgate", Phase: "sustained", Kind: "cpu", File: "profiles/x.pprof", Top: "flat flat%\n"}}
	r.Notes = []string{"a note"}
	r.Bottleneck = r.FindBottleneck(Limits{MaxCalls: 1500, CPUs: 2})
	r.Targets = r.CheckTargets(DefaultGoals)
	md := string(r.Markdown("chart.svg"))
	for _, want := range []string{"## Targets", "## Calls by outcome", "## Step profile", "![latency", "**200** (sustained)",
		"## Concurrent calls", "sipgate **0.150 ms**, generator **0.100 ms**", "## RPC: Connect against the store alone", "ResolvePin/c=8 | 2500 | 12500 | 0.20",
		"## Call records", "| **records' CPU per call** (at most: every line its own fsync) | **0.197 ms** (0.480 ms) |",
		"| share of sipgate's CPU per call in the step (3.90 ms) | **5.0 %** (at most 12.3 %) |", "spool benchmarks' output",
		"## Cross-check with sipp", "## Limits found", "sipgate cpu profile", "## Notes", "## Reproduce"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestCPUTargetAgainstTheFloor(t *testing.T) {
	for _, tc := range []struct {
		floor    float64
		why      string
		measured string
	}{
		{floor: 0.25, why: "the goal is below this machine's floor of 0.250 ms", measured: "sipgate 1.20× that floor"},
		{floor: 0.15, why: "see the plateau's CPU profiles below", measured: "sipgate 2.00× that floor"},
	} {
		r := testReport()
		r.Concurrency.Usage.CPU = map[string]float64{"sipgate": 30, "generator": 20}
		r.Floor = &Floor{SendNs: 4000, RecvNs: 1000, MsPerCallSecond: tc.floor}
		tg := r.cpuTarget(DefaultGoals)
		if tg.Met || !strings.HasPrefix(tg.Why, tc.why) || !strings.Contains(tg.Measured, tc.measured) {
			t.Errorf("floor %v: met=%v why %q measured %q", tc.floor, tg.Met, tg.Why, tg.Measured)
		}
	}
}
