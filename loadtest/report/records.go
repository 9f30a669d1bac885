package report

import (
	"bytes"
	"fmt"
	"strings"
)

// Records is what sipgate's call records cost during the sustained step (issue 23): sipgate's and the
// core's metrics read at the step's start and end, and the spool's benchmarks run in this run.
type Records struct {
	// Off: sipgate exposes no call records metrics (SIPGATE_CALL_RECORDS_DIR unset): nothing else is set.
	Off     bool    `json:"off,omitempty"`
	Seconds float64 `json:"seconds"`
	// CallsEnded counts sipgate_calls_total; Rejected is its rejected_* part, some of which were refused
	// before they became calls and have no record by design.
	CallsEnded float64 `json:"calls_ended"`
	Rejected   float64 `json:"calls_rejected"`
	// Final and Phase are the records spooled: one final per call, and one per phase a call entered.
	Final float64 `json:"final_records"`
	Phase float64 `json:"phase_records"`
	// Writes is the write histogram's count; WriteP50, WriteP99 and WriteMax bound what a call waited on
	// its way for its phase records (bucket bounds, seconds); FinalP99 what its goroutine waited, after the
	// hang-up, for its final record to be durable.
	Writes   float64 `json:"writes"`
	WriteP50 float64 `json:"write_p50_at_most_seconds"`
	WriteP99 float64 `json:"write_p99_at_most_seconds"`
	WriteMax float64 `json:"write_max_at_most_seconds"`
	FinalP99 float64 `json:"final_write_p99_at_most_seconds"`
	// Fsyncs and Bytes are the spool's, records and acknowledgements alike.
	Fsyncs float64 `json:"fsyncs"`
	Bytes  float64 `json:"bytes"`
	// Shipped and Dropped are the records the core stored or refused; Pending what the spool held at the
	// step's end; Batches the RecordCalls requests, ShipP99 a bound of their p99 (seconds).
	Shipped float64 `json:"shipped"`
	Dropped float64 `json:"dropped"`
	Pending float64 `json:"pending_at_end"`
	Batches float64 `json:"batches"`
	ShipP99 float64 `json:"ship_p99_at_most_seconds"`
	// CoreFinal and CorePhase are the records the core's RecordCalls stored; CoreMean and CoreP99 its
	// handler's time (its RPC histogram: mean, and a bucket bound), seconds.
	CoreFinal float64 `json:"core_final_records"`
	CorePhase float64 `json:"core_phase_records"`
	CoreMean  float64 `json:"core_record_calls_mean_seconds"`
	CoreP99   float64 `json:"core_record_calls_p99_at_most_seconds"`
	// Bench is BenchmarkSpoolPut (one record after the other, each with its own fsync) and
	// BenchmarkSpoolPutParallel (16 writers sharing fsyncs): CPU ns and fsyncs per record. Zero when the
	// benchmarks did not run.
	Bench SpoolBench `json:"spool_bench"`
}

// SpoolBench is the process CPU and fsyncs per record of the spool's two benchmarks.
type SpoolBench struct {
	SerialCPUNs      float64 `json:"serial_cpu_ns_per_record"`
	SerialFsyncs     float64 `json:"serial_fsyncs_per_record"`
	ParallelCPUNs    float64 `json:"parallel_cpu_ns_per_record"`
	ParallelFsyncs   float64 `json:"parallel_fsyncs_per_record"`
	ParallelNsPerRec float64 `json:"parallel_ns_per_record"`
	Output           string  `json:"output,omitempty"`
}

// SpoolBenchFrom picks the spool's benchmarks out of benches; ok is false unless both are there.
func SpoolBenchFrom(benches []Bench) (sb SpoolBench, ok bool) {
	var serial, parallel bool
	for _, b := range benches {
		switch b.Name {
		case "BenchmarkSpoolPut":
			sb.SerialCPUNs, sb.SerialFsyncs, serial = b.Metrics["cpu-ns/op"], b.Metrics["fsyncs/op"], true
		case "BenchmarkSpoolPutParallel":
			sb.ParallelCPUNs, sb.ParallelFsyncs, parallel = b.Metrics["cpu-ns/op"], b.Metrics["fsyncs/op"], true
			sb.ParallelNsPerRec = b.NsPerOp
		}
	}
	return sb, serial && parallel && sb.SerialCPUNs > 0 && sb.ParallelCPUNs > 0
}

// Calls is the divisor of the per-call figures: the calls that left a final record.
func (r *Records) Calls() float64 { return r.Final }

// per divides x by the calls with a record (0 without any).
func (r *Records) per(x float64) float64 {
	if r.Calls() <= 0 {
		return 0
	}
	return x / r.Calls()
}

// Lines is what the spool wrote: the records, and an acknowledgement for each record the core settled.
func (r *Records) Lines() float64 { return r.Final + r.Phase + r.Shipped + r.Dropped }

// UnitCosts splits the benchmarks' CPU per record into a line's (JSON, write, lock) and an fsync's,
// from the two benchmarks' different fsyncs per record: serial = line + f₁·fsync, parallel = line +
// f₂·fsync. When the two do not give positive costs (noise), the whole serial cost is put on the line
// and none on the fsync, which overstates every line that shared one: ok false.
func (b SpoolBench) UnitCosts() (lineNs, fsyncNs float64, ok bool) {
	if df := b.SerialFsyncs - b.ParallelFsyncs; df > 0 {
		fsyncNs = (b.SerialCPUNs - b.ParallelCPUNs) / df
		lineNs = b.SerialCPUNs - b.SerialFsyncs*fsyncNs
		if fsyncNs > 0 && lineNs > 0 {
			return lineNs, fsyncNs, true
		}
	}
	return b.SerialCPUNs, 0, false
}

// CPUPerCall is sipgate's CPU spent on records per call, ms: the lines it wrote and the fsyncs it made
// in the step, at the benchmarks' unit costs. The RecordCalls request itself (the shipper's HTTP client)
// is not in it: Batches per call says how many there were.
func (r *Records) CPUPerCall() float64 {
	line, fsync, _ := r.Bench.UnitCosts()
	return r.per(r.Lines()*line+r.Fsyncs*fsync) / 1e6
}

// CPUPerCallAtMost is CPUPerCall as if no line shared an fsync (each at BenchmarkSpoolPut's cost), ms.
func (r *Records) CPUPerCallAtMost() float64 { return r.per(r.Lines()*r.Bench.SerialCPUNs) / 1e6 }

// RecordsCheck says whether every call sipgate ended left a final record: between the calls ended less
// those rejected (some before they were calls) and the calls ended.
func (r *Records) RecordsCheck() (ok bool, gap string) {
	switch {
	case r.Final > r.CallsEnded:
		return false, fmt.Sprintf("%.0f final records for %.0f calls ended", r.Final, r.CallsEnded)
	case r.Final < r.CallsEnded-r.Rejected:
		return false, fmt.Sprintf("%.0f calls ended without a final record (%.0f ended, %.0f of them rejected, %.0f final records)",
			r.CallsEnded-r.Rejected-r.Final, r.CallsEnded, r.Rejected, r.Final)
	}
	return true, ""
}

// recordsTarget: the records cost no measurable call capacity when every call left its final record,
// the records' CPU is at most g.RecordsCPUShare of sipgate's CPU per call in the sustained step (well
// under that figure's run-to-run spread), and no call waits on the spool beyond g.RecordsWaitP99 at p99,
// or, on a machine saturated in that step, beyond what the generator itself waited for a CPU.
func (r *Report) recordsTarget(g Goals) Target {
	const saturated = 95 // % of the machine's CPU
	t := Target{Name: "call records", Goal: fmt.Sprintf("no measurable loss of call capacity: a final record for every call, "+
		"records' CPU ≤ %s %% of sipgate's per call and a call's wait for its record ≤ %s ms at p99 (sustained step)",
		num(100*g.RecordsCPUShare), num(1000*g.RecordsWaitP99))}
	rc := r.Records
	switch {
	case rc != nil && rc.Off:
		t.Measured, t.Gap = "records off", "sipgate has no call records metrics: SIPGATE_CALL_RECORDS_DIR is unset (or sipgate predates them)"
		return t
	case rc == nil || r.SustainIndex < 0 || r.SustainIndex >= len(r.Steps):
		t.Measured, t.Gap = "not run", "the sustained step did not run (time budget, or -phases)"
		return t
	}
	perCall := r.Steps[r.SustainIndex].SipgateCPUPerCall
	t.Measured = fmt.Sprintf("%.0f calls ended (%.0f rejected), %.0f final + %.0f phase records (%.1f per call); a call waited on its way p50 ≤ %s ms, p99 ≤ %s ms "+
		"(its final record, after the hang-up: p99 ≤ %s ms); %.3f fsyncs and %.0f bytes per record written", rc.CallsEnded, rc.Rejected, rc.Final,
		rc.Phase, rc.per(rc.Final+rc.Phase), num(1000*rc.WriteP50), num(1000*rc.WriteP99), num(1000*rc.FinalP99), ratio(rc.Fsyncs, rc.Final+rc.Phase),
		ratio(rc.Bytes, rc.Lines()))
	var gaps []string
	complete, gap := rc.RecordsCheck()
	if !complete {
		gaps = append(gaps, gap)
	}
	costly := rc.WriteP99 > g.RecordsWaitP99 // or dear in CPU, below
	if s := r.Steps[r.SustainIndex]; costly && s.Usage.MachinePct >= saturated && rc.WriteP99 <= s.Calls.Lag.P99/1000 {
		// On a saturated machine every goroutine waits for a CPU: the generator's own lag behind its
		// schedule measures that wait, and a record's wait within it is the machine's, not the spool's.
		costly = false
		t.Measured += fmt.Sprintf("; the machine %.0f %% busy, the generator itself p99 %.0f ms behind its schedule: the records' wait is no longer "+
			"than any process's wait for a CPU", s.Usage.MachinePct, s.Calls.Lag.P99)
	}
	if costly {
		gaps = append(gaps, fmt.Sprintf("a call's wait for its record p99 ≤ %s ms is over %s ms", num(1000*rc.WriteP99), num(1000*g.RecordsWaitP99)))
	}
	measured, gap, dear := rc.cpuShare(perCall, g.RecordsCPUShare)
	t.Measured += measured
	if gap != "" {
		gaps = append(gaps, gap)
	}
	costly = costly || dear
	t.Met = len(gaps) == 0
	t.Gap = strings.Join(gaps, "; ")
	var whys []string
	if !complete {
		whys = append(whys, "sipgate logs each record it could not spool (`call record not spooled`: the spool's disk full or failing)")
	}
	if costly {
		whys = append(whys, fmt.Sprintf("the spool's fsyncs, %.3f per record written (1: none shared), on a disk the whole stack shares, "+
			"with the machine's CPU %.0f %% busy in the step", ratio(rc.Fsyncs, rc.Final+rc.Phase), r.Steps[r.SustainIndex].Usage.MachinePct))
	}
	t.Why = strings.Join(whys, "; ")
	return t
}

// cpuShare compares the records' CPU per call with sipgate's, perCall ms: what to add to the target's
// measure, its gap ("" when within limit, a share of perCall), and whether the share is over limit.
func (r *Records) cpuShare(perCall, limit float64) (measured, gap string, over bool) {
	switch {
	case r.Bench.SerialCPUNs <= 0 || r.Bench.ParallelCPUNs <= 0:
		return "", "the spool benchmarks did not run (bench phase), so the records' CPU is unknown", false
	case perCall <= 0:
		return "", "sipgate's CPU per call in the sustained step is unknown", false
	}
	share := r.CPUPerCall() / perCall
	measured = fmt.Sprintf("; records' CPU ≈ %.3f ms per call (at most %.3f ms, no fsync shared) = %.1f %% of sipgate's %.2f ms per call",
		r.CPUPerCall(), r.CPUPerCallAtMost(), 100*share, perCall)
	if share > limit {
		return measured, fmt.Sprintf("records take %.1f %% of sipgate's CPU per call", 100*share), true
	}
	return measured, "", false
}

// ratio is a / b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// records writes the call records' section: what they cost during the sustained step, and how.
func (r *Report) records(b *bytes.Buffer) {
	rc := r.Records
	if rc == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Call records\n\n")
	if rc.Off {
		w("records off: sipgate exposes no `sipgate_call_records_*` metrics (SIPGATE_CALL_RECORDS_DIR unset), so this run wrote none and measured nothing.\n\n")
		return
	}
	w("sipgate spools a record of each call as it enters a phase (ringing, before its 200 OK; typing, once answered; host, lobby, bridged) "+
		"and a final one as it ends; a phase is written and fsynced within 100 ms, the call going on at once, while the final record is fsynced "+
		"before the call's goroutine ends (calls writing at once share an fsync); its shipper sends them in "+
		"batches to the core's RecordCalls, then writes their acknowledgement. From sipgate's and the core's metrics at the start and end "+
		"of the sustained step (%.0f s):\n\n", rc.Seconds)
	w("| what | measured |\n|---|---|\n")
	w("| calls ended (of which rejected) → final records | %.0f (%.0f) → %.0f |\n", rc.CallsEnded, rc.Rejected, rc.Final)
	w("| phase records; records per call | %.0f; %.2f |\n", rc.Phase, rc.per(rc.Final+rc.Phase))
	w("| a call's wait on its way for its phase records (of %.0f writes in all): p50 / p99 / max | ≤ %s / ≤ %s / ≤ %s ms |\n", rc.Writes,
		num(1000*rc.WriteP50), num(1000*rc.WriteP99), num(1000*rc.WriteMax))
	w("| the wait for the final record to be durable, after the hang-up: p99 | ≤ %s ms |\n", num(1000*rc.FinalP99))
	w("| fsyncs per record written (acknowledgements' included) | %.3f |\n", ratio(rc.Fsyncs, rc.Final+rc.Phase))
	w("| bytes per line written; per call | %.0f; %.0f |\n", ratio(rc.Bytes, rc.Lines()), rc.per(rc.Bytes))
	w("| shipped / dropped by the core / pending at the end | %.0f / %.0f / %.0f |\n", rc.Shipped, rc.Dropped, rc.Pending)
	w("| RecordCalls batches (records per batch), p99 | %.0f (%.1f), ≤ %s ms |\n", rc.Batches, ratio(rc.Shipped+rc.Dropped, rc.Batches),
		num(1000*rc.ShipP99))
	w("| core: records stored, final / phase; RecordCalls handler mean, p99 | %.0f / %.0f; %.2f ms, ≤ %s ms |\n", rc.CoreFinal, rc.CorePhase,
		1000*rc.CoreMean, num(1000*rc.CoreP99))
	if sb := rc.Bench; sb.SerialCPUNs > 0 && sb.ParallelCPUNs > 0 {
		line, fsync, ok := sb.UnitCosts()
		split := fmt.Sprintf("%.1f µs per line + %.1f µs per fsync", line/1e3, fsync/1e3)
		if !ok {
			split = fmt.Sprintf("%.1f µs per line, fsync included (the benchmarks did not separate the two)", line/1e3)
		}
		w("| spool benchmarks, process CPU per record: one writer (fsyncs per record) / 16 writers (fsyncs per record) | %.1f µs (%.2f) / %.1f µs (%.3f) |\n",
			sb.SerialCPUNs/1e3, sb.SerialFsyncs, sb.ParallelCPUNs/1e3, sb.ParallelFsyncs)
		w("| unit costs from the two | %s |\n", split)
		w("| **records' CPU per call** (at most: every line its own fsync) | **%.3f ms** (%.3f ms) |\n", rc.CPUPerCall(), rc.CPUPerCallAtMost())
		if r.SustainIndex >= 0 && r.SustainIndex < len(r.Steps) {
			if pc := r.Steps[r.SustainIndex].SipgateCPUPerCall; pc > 0 {
				w("| share of sipgate's CPU per call in the step (%.2f ms) | **%.1f %%** (at most %.1f %%) |\n", pc, 100*rc.CPUPerCall()/pc,
					100*rc.CPUPerCallAtMost()/pc)
			}
		}
	}
	w("\nThe records' CPU per call is the step's lines (records and acknowledgements) and fsyncs per call at the unit costs that "+
		"`BenchmarkSpoolPut` and `BenchmarkSpoolPutParallel` (sipgate/spool_test.go, run in this run on the same disk) give: "+
		"their CPU per record differs by their fsyncs per record, which separates a line's cost from an fsync's. "+
		"The shipper's HTTP request is not in it (one per batch above). "+
		"The target's rule: every call sipgate ended left a final record (calls rejected before they were calls have none), the records' "+
		"CPU is at most %s %% of sipgate's CPU per call — under the spread of that figure between back-to-back runs (loadtest/README.md), "+
		"so no loss a run could measure — and no call waits more than %s ms for its record at p99.\n\n",
		num(100*DefaultGoals.RecordsCPUShare), num(1000*DefaultGoals.RecordsWaitP99))
	if rc.Bench.Output != "" {
		w("<details><summary>spool benchmarks' output</summary>\n\n```\n%s```\n\n</details>\n\n", rc.Bench.Output)
	}
}
