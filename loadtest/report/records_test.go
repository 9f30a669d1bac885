package report

import (
	"math"
	"strings"
	"testing"
)

// testRecords is a sustained step of 12,000 calls with three records each (ringing, typing, final),
// at the spool benchmarks' figures on the development VM.
func testRecords() *Records {
	return &Records{Seconds: 60, CallsEnded: 12000, Final: 12000, Phase: 24000, Writes: 36000, WriteP50: 0.0005, WriteP99: 0.005,
		WriteMax: 0.025, FinalP99: 0.01, Fsyncs: 20000, Bytes: 36000*300 + 36000*60, Shipped: 36000, Batches: 3000, ShipP99: 0.008,
		CoreFinal: 12000, CorePhase: 24000, CoreMean: 0.002, CoreP99: 0.008,
		Bench: SpoolBench{SerialCPUNs: 80000, SerialFsyncs: 1, ParallelCPUNs: 18700, ParallelFsyncs: 0.063, Output: "BenchmarkSpoolPut-2 …\n"}}
}

func TestSpoolBenchUnitCosts(t *testing.T) {
	tests := []struct {
		name         string
		b            SpoolBench
		line, fsync  float64
		separated    bool
		perCall, max float64 // testRecords' CPU per call with b, ms
	}{
		// 80 µs = line + fsync, 18.7 µs = line + 0.063 fsync: fsync 65.42 µs, line 14.58 µs.
		{"two fsync rates", SpoolBench{SerialCPUNs: 80000, SerialFsyncs: 1, ParallelCPUNs: 18700, ParallelFsyncs: 0.063},
			14578.44, 65421.56, true, (72000*14578.44 + 20000*65421.56) / 12000 / 1e6, 72000 * 80000 / 12000 / 1e6},
		{"parallel dearer than serial (noise)", SpoolBench{SerialCPUNs: 20000, SerialFsyncs: 1, ParallelCPUNs: 30000, ParallelFsyncs: 0.1},
			20000, 0, false, 72000 * 20000 / 12000 / 1e6, 72000 * 20000 / 12000 / 1e6},
		{"same fsync rate", SpoolBench{SerialCPUNs: 20000, SerialFsyncs: 1, ParallelCPUNs: 15000, ParallelFsyncs: 1},
			20000, 0, false, 72000 * 20000 / 12000 / 1e6, 72000 * 20000 / 12000 / 1e6},
	}
	for _, tt := range tests {
		line, fsync, ok := tt.b.UnitCosts()
		if math.Abs(line-tt.line) > 0.01 || math.Abs(fsync-tt.fsync) > 0.01 || ok != tt.separated {
			t.Errorf("%s: UnitCosts = %v, %v, %v; want %v, %v, %v", tt.name, line, fsync, ok, tt.line, tt.fsync, tt.separated)
		}
		rc := testRecords()
		rc.Bench = tt.b
		if got := rc.CPUPerCall(); math.Abs(got-tt.perCall) > 1e-6 {
			t.Errorf("%s: CPUPerCall = %v ms, want %v", tt.name, got, tt.perCall)
		}
		if got := rc.CPUPerCallAtMost(); math.Abs(got-tt.max) > 1e-6 || got < rc.CPUPerCall() {
			t.Errorf("%s: CPUPerCallAtMost = %v ms, want %v (and not under CPUPerCall)", tt.name, got, tt.max)
		}
	}
}

func TestSpoolBenchFrom(t *testing.T) {
	serial := Bench{Name: "BenchmarkSpoolPut", NsPerOp: 200000, Metrics: map[string]float64{"cpu-ns/op": 80000, "fsyncs/op": 1}}
	parallel := Bench{Name: "BenchmarkSpoolPutParallel", NsPerOp: 28000, Metrics: map[string]float64{"cpu-ns/op": 18700, "fsyncs/op": 0.063}}
	sb, ok := SpoolBenchFrom([]Bench{{Name: "BenchmarkOther"}, serial, parallel})
	if !ok || sb != (SpoolBench{SerialCPUNs: 80000, SerialFsyncs: 1, ParallelCPUNs: 18700, ParallelFsyncs: 0.063, ParallelNsPerRec: 28000}) {
		t.Errorf("SpoolBenchFrom = %+v, %v", sb, ok)
	}
	for name, bs := range map[string][]Bench{
		"serial only":       {serial},
		"no CPU reported":   {serial, {Name: "BenchmarkSpoolPutParallel", NsPerOp: 28000}},
		"nothing":           nil,
		"parallel only":     {parallel},
		"other benchmarks":  {{Name: "BenchmarkResolvePin/c=1/connect"}},
		"no serial CPU":     {{Name: "BenchmarkSpoolPut", NsPerOp: 1}, parallel},
		"zero parallel CPU": {serial, {Name: "BenchmarkSpoolPutParallel", Metrics: map[string]float64{"cpu-ns/op": 0}}},
	} {
		if _, ok := SpoolBenchFrom(bs); ok {
			t.Errorf("%s: ok", name)
		}
	}
}

func TestRecordsCheck(t *testing.T) {
	tests := []struct {
		name                   string
		ended, rejected, final float64
		ok                     bool
		gap                    string
	}{
		{"one each", 100, 0, 100, true, ""},
		{"rejected before they were calls", 100, 5, 95, true, ""},
		{"rejected as calls, with records", 100, 5, 100, true, ""},
		{"one missing", 100, 5, 94, false, "1 calls ended without a final record (100 ended, 5 of them rejected, 94 final records)"},
		{"more records than calls", 100, 0, 101, false, "101 final records for 100 calls ended"},
	}
	for _, tt := range tests {
		rc := Records{CallsEnded: tt.ended, Rejected: tt.rejected, Final: tt.final}
		ok, gap := rc.RecordsCheck()
		if ok != tt.ok || gap != tt.gap {
			t.Errorf("%s: %v, %q; want %v, %q", tt.name, ok, gap, tt.ok, tt.gap)
		}
	}
}

func TestRecordsTarget(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*Report)
		met      bool
		measured string // contained in Measured
		gap      string // contained in Gap
	}{
		{"met", func(*Report) {}, true,
			"12000 calls ended (0 rejected), 12000 final + 24000 phase records (3.0 per call); a call waited on its way p50 ≤ 0.5 ms, p99 ≤ 5 ms (its final record, after the hang-up: p99 ≤ 10 ms); 0.556 fsyncs and 180 bytes per record written; " +
				"records' CPU ≈ 0.197 ms per call (at most 0.480 ms, no fsync shared) = 5.0 % of sipgate's 3.90 ms per call", ""},
		{"records off", func(r *Report) { r.Records = &Records{Off: true} }, false, "records off", "SIPGATE_CALL_RECORDS_DIR is unset"},
		{"no window", func(r *Report) { r.Records = nil }, false, "not run", "the sustained step did not run"},
		{"no sustained step", func(r *Report) { r.SustainIndex = -1 }, false, "not run", "the sustained step did not run"},
		{"no benchmarks", func(r *Report) { r.Records.Bench = SpoolBench{} }, false, "p99 ≤ 5 ms",
			"the spool benchmarks did not run (bench phase), so the records' CPU is unknown"},
		{"no sipgate CPU", func(r *Report) { r.Steps[r.SustainIndex].SipgateCPUPerCall = 0 }, false, "p99 ≤ 5 ms",
			"sipgate's CPU per call in the sustained step is unknown"},
		{"CPU share over", func(r *Report) { r.Steps[r.SustainIndex].SipgateCPUPerCall = 1.5 }, false, "= 13.1 % of sipgate's 1.50 ms per call",
			"records take 13.1 % of sipgate's CPU per call"},
		{"slow writes", func(r *Report) { r.Records.WriteP99 = 0.05 }, false, "p99 ≤ 50 ms",
			"a call's wait for its record p99 ≤ 50 ms is over 10 ms"},
		{"slow writes, the machine saturated, within its wait for a CPU", func(r *Report) {
			s := &r.Steps[r.SustainIndex]
			s.Usage.MachinePct, s.Calls.Lag.P99, r.Records.WriteP99 = 97, 46, 0.025
		}, true, "the machine 97 % busy, the generator itself p99 46 ms behind its schedule", ""},
		{"slow writes, the machine saturated, beyond its wait for a CPU", func(r *Report) {
			s := &r.Steps[r.SustainIndex]
			s.Usage.MachinePct, s.Calls.Lag.P99, r.Records.WriteP99 = 97, 5, 0.025
		}, false, "p99 ≤ 25 ms", "a call's wait for its record p99 ≤ 25 ms is over 10 ms"},
		{"a record missing", func(r *Report) { r.Records.Final = 11999 }, false, "",
			"1 calls ended without a final record"},
	}
	for _, tt := range tests {
		r := testReport()
		tt.change(r)
		tg := r.recordsTarget(DefaultGoals)
		if tg.Name != "call records" || !strings.HasPrefix(tg.Goal, "no measurable loss of call capacity") {
			t.Errorf("%s: target %q, goal %q", tt.name, tg.Name, tg.Goal)
		}
		if tg.Met != tt.met || !strings.Contains(tg.Measured, tt.measured) || !strings.Contains(tg.Gap, tt.gap) || (tt.met && tg.Gap != "") {
			t.Errorf("%s: met=%v\nmeasured %q\ngap %q\nwant met=%v, measured with %q, gap with %q", tt.name, tg.Met, tg.Measured, tg.Gap,
				tt.met, tt.measured, tt.gap)
		}
	}
}

func TestRecordsMarkdownOff(t *testing.T) {
	r := testReport()
	r.Records = &Records{Off: true}
	md := string(r.Markdown(""))
	if !strings.Contains(md, "## Call records\n\nrecords off:") || strings.Contains(md, "records' CPU per call") {
		t.Errorf("a run with records off:\n%s", md)
	}
	r.Records = nil
	if md := string(r.Markdown("")); strings.Contains(md, "## Call records") {
		t.Error("a call records section without a measurement")
	}
}
