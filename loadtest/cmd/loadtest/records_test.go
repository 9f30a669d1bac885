package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
)

// exposition parses Prometheus text, failing the test on an error.
func exposition(t *testing.T, text string) probe.Metrics {
	t.Helper()
	m, err := probe.ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sipgateRecords is sipgate's /metrics with call records on: calls ended, records spooled (3 per call),
// phase records' waits in buckets (fast ≤ 1 ms, slow over 10 ms), final ones ≤ 25 ms, fsyncs, bytes, shipping.
func sipgateRecords(t *testing.T, calls, rejected, fsyncs, fast, slow, shipped, batches, pending float64) probe.Metrics {
	t.Helper()
	finals, phases := calls-rejected, 2*(calls-rejected)
	records := finals + phases
	f := fmtFloat
	return exposition(t, `# HELP sipgate_calls_total Calls ended, by outcome.
# TYPE sipgate_calls_total counter
sipgate_calls_total{outcome="admitted"} `+f(calls-rejected)+`
sipgate_calls_total{outcome="rejected_503"} `+f(rejected)+`
sipgate_call_records_spooled_total{kind="final"} `+f(calls-rejected)+`
sipgate_call_records_spooled_total{kind="phase"} `+f(2*(calls-rejected))+`
sipgate_call_records_write_seconds_bucket{kind="phase",le="0.001"} `+f(fast)+`
sipgate_call_records_write_seconds_bucket{kind="phase",le="0.01"} `+f(phases-slow)+`
sipgate_call_records_write_seconds_bucket{kind="phase",le="0.1"} `+f(phases)+`
sipgate_call_records_write_seconds_bucket{kind="phase",le="+Inf"} `+f(phases)+`
sipgate_call_records_write_seconds_sum{kind="phase"} 1
sipgate_call_records_write_seconds_count{kind="phase"} `+f(phases)+`
sipgate_call_records_write_seconds_bucket{kind="final",le="0.025"} `+f(finals)+`
sipgate_call_records_write_seconds_bucket{kind="final",le="+Inf"} `+f(finals)+`
sipgate_call_records_write_seconds_sum{kind="final"} 1
sipgate_call_records_write_seconds_count{kind="final"} `+f(finals)+`
sipgate_call_records_fsyncs_total `+f(fsyncs)+`
sipgate_call_records_spool_bytes_total `+f(300*records)+`
sipgate_call_records_shipped_total `+f(shipped)+`
sipgate_call_records_dropped_total 0
sipgate_call_records_pending `+f(pending)+`
sipgate_call_records_ship_seconds_bucket{le="0.002"} `+f(batches)+`
sipgate_call_records_ship_seconds_bucket{le="+Inf"} `+f(batches)+`
sipgate_call_records_ship_seconds_count `+f(batches)+`
`)
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func TestRecordsBetween(t *testing.T) {
	core := func(stored, requests, sum float64) probe.Metrics {
		return exposition(t, `meetline_call_records_stored_total{kind="final"} `+fmtFloat(stored)+`
meetline_call_records_stored_total{kind="phase"} `+fmtFloat(2*stored)+`
meetline_rpc_duration_seconds_bucket{procedure="/meetline.v1.TelephonyService/RecordCalls",le="0.002"} `+fmtFloat(requests)+`
meetline_rpc_duration_seconds_bucket{procedure="/meetline.v1.TelephonyService/RecordCalls",le="+Inf"} `+fmtFloat(requests)+`
meetline_rpc_duration_seconds_sum{procedure="/meetline.v1.TelephonyService/RecordCalls"} `+fmtFloat(sum)+`
meetline_rpc_duration_seconds_count{procedure="/meetline.v1.TelephonyService/RecordCalls"} `+fmtFloat(requests)+`
meetline_rpc_duration_seconds_count{procedure="/meetline.v1.TelephonyService/ResolvePin"} 5000
`)
	}
	// 10 calls ended before the step, 1,010 after it (10 of them rejected): 2,970 records in the step,
	// 1,980 of them phases, of which 1,940 waited ≤ 1 ms, 30 more ≤ 10 ms, 10 more ≤ 100 ms.
	sg0 := sipgateRecords(t, 10, 0, 40, 20, 0, 30, 3, 0)
	sg1 := sipgateRecords(t, 1010, 10, 1840, 1960, 10, 2900, 303, 130)
	got := recordsBetween(sg0, sg1, core(10, 3, 0.006), core(970, 303, 0.606), 60)
	want := &report.Records{Seconds: 60, CallsEnded: 1000, Rejected: 10, Final: 990, Phase: 1980, Writes: 2970, WriteP50: 0.001,
		WriteP99: 0.01, WriteMax: 0.1, FinalP99: 0.025, Fsyncs: 1800, Bytes: 300 * 2970, Shipped: 2870, Pending: 130, Batches: 300, ShipP99: 0.002,
		CoreFinal: 960, CorePhase: 1920, CoreMean: 0.002, CoreP99: 0.002}
	if *got != *want {
		t.Errorf("recordsBetween =\n%+v\nwant\n%+v", *got, *want)
	}

	off := exposition(t, "sipgate_calls_total{outcome=\"admitted\"} 5\nsipgate_active_calls 0\n")
	if got := recordsBetween(off, off, core(0, 0, 0), core(0, 0, 0), 60); !got.Off {
		t.Errorf("sipgate without records metrics: %+v, want Off", got)
	}
}
