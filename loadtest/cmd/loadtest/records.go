package main

import (
	"context"
	"strings"
	"time"

	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
)

// recordCalls labels the core's RPC histogram for RecordCalls.
const recordCalls = `procedure="/meetline.v1.TelephonyService/RecordCalls"`

// recordsWindow reads sipgate's and the core's metrics at the sustained step's start and after length,
// and puts what the call records cost meanwhile in the report, with the spool benchmarks' figures.
func (t *loadTest) recordsWindow(ctx context.Context, length time.Duration) {
	sg0, core0, err := t.scrapeBoth(ctx)
	if err != nil {
		t.note("call records not measured: %v", err)
		return
	}
	start := time.Now()
	if sleepCtx(ctx, length) != nil {
		return
	}
	sg1, core1, err := t.scrapeBoth(ctx)
	if err != nil {
		t.note("call records not measured: %v", err)
		return
	}
	rc := recordsBetween(sg0, sg1, core0, core1, time.Since(start).Seconds())
	rc.Bench = t.spoolBench
	t.mu.Lock()
	t.rep.Records = rc
	t.mu.Unlock()
}

// scrapeBoth reads sipgate's and the core's metrics.
func (t *loadTest) scrapeBoth(ctx context.Context) (sipgate, core probe.Metrics, err error) {
	if sipgate, err = probe.Scrape(ctx, t.http, "http://"+t.cfg.sipgateHTTP+"/metrics"); err != nil {
		return nil, nil, err
	}
	core, err = probe.Scrape(ctx, t.http, t.cfg.coreAdminURL+"/metrics")
	return sipgate, core, err
}

// recordsBetween is what the call records cost between two readings of sipgate's (sg) and the core's
// metrics: Off when sipgate has none (records off).
func recordsBetween(sg0, sg1, core0, core1 probe.Metrics, seconds float64) *report.Records {
	if _, ok := sg1[`sipgate_call_records_write_seconds_count{kind="final"}`]; !ok {
		return &report.Records{Off: true}
	}
	d := func(before, after probe.Metrics, key string) float64 { return after[key] - before[key] }
	sg := func(key string) float64 { return d(sg0, sg1, key) }
	rejected := 0.0
	for k, v := range sg1 {
		if strings.HasPrefix(k, `sipgate_calls_total{outcome="rejected_`) {
			rejected += v - sg0[k]
		}
	}
	const writes = "sipgate_call_records_write_seconds"
	phase0, phase1 := sg0.Histogram(writes, `kind="phase"`), sg1.Histogram(writes, `kind="phase"`)
	p50, _ := probe.Quantile(phase0, phase1, 0.5)
	p99, _ := probe.Quantile(phase0, phase1, 0.99)
	most, _ := probe.Quantile(phase0, phase1, 1)
	final99, _ := probe.Quantile(sg0.Histogram(writes, `kind="final"`), sg1.Histogram(writes, `kind="final"`), 0.99)
	ship99, _ := probe.Quantile(sg0.Histogram("sipgate_call_records_ship_seconds", ""), sg1.Histogram("sipgate_call_records_ship_seconds", ""), 0.99)
	core99, _ := probe.Quantile(core0.Histogram("meetline_rpc_duration_seconds", recordCalls),
		core1.Histogram("meetline_rpc_duration_seconds", recordCalls), 0.99)
	coreMean := 0.0
	if n := d(core0, core1, "meetline_rpc_duration_seconds_count{"+recordCalls+"}"); n > 0 {
		coreMean = d(core0, core1, "meetline_rpc_duration_seconds_sum{"+recordCalls+"}") / n
	}
	return &report.Records{Seconds: seconds,
		CallsEnded: sg1.Sum("sipgate_calls_total") - sg0.Sum("sipgate_calls_total"), Rejected: rejected,
		Final: sg(`sipgate_call_records_spooled_total{kind="final"}`), Phase: sg(`sipgate_call_records_spooled_total{kind="phase"}`),
		Writes:   sg(writes+`_count{kind="phase"}`) + sg(writes+`_count{kind="final"}`),
		WriteP50: p50, WriteP99: p99, WriteMax: most, FinalP99: final99,
		Fsyncs: sg("sipgate_call_records_fsyncs_total"), Bytes: sg("sipgate_call_records_spool_bytes_total"),
		Shipped: sg("sipgate_call_records_shipped_total"), Dropped: sg("sipgate_call_records_dropped_total"),
		Pending: sg1["sipgate_call_records_pending"], Batches: sg("sipgate_call_records_ship_seconds_count"), ShipP99: ship99,
		CoreFinal: d(core0, core1, `meetline_call_records_stored_total{kind="final"}`),
		CorePhase: d(core0, core1, `meetline_call_records_stored_total{kind="phase"}`), CoreMean: coreMean, CoreP99: core99,
	}
}
