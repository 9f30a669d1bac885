package sipgate

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// recordMetrics make the call records' cost visible: how long a call waits for its record to be durable,
// the spool's fsyncs and bytes (fsyncs per record shows the calls sharing them), and the shipping to the
// core. Every series exists from the start, and nothing on a call's path builds a label.
type recordMetrics struct {
	write *prometheus.HistogramVec // the spool's write, by kind
	// waitPhase is what a call waits on its way for a phase record (written, not fsynced);
	// waitFinal what its goroutine waits, after the hang-up, for its final record to be durable.
	waitPhase, waitFinal prometheus.Observer
	spooled              *prometheus.CounterVec
	phase                prometheus.Counter // spooled's non-final records (a call entering a phase)
	final                prometheus.Counter // spooled's final records: one per call that got past the INVITE's checks
	shipped              prometheus.Counter
	dropped              prometheus.Counter
	ship                 prometheus.Histogram // RecordCalls, success or failure
}

func newRecordMetrics() *recordMetrics {
	spooled := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipgate_call_records_spooled_total",
		Help: "Call records written to the spool, by kind: phase (a call entering ringing, typing, host, lobby, bridged; fsynced within 100 ms) or final (one per call, fsynced before it counts).",
	}, []string{"kind"})
	write := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sipgate_call_records_write_seconds",
		Help:    "Time a call waits for its record, by kind: phase (on the call's way, the spool's write; its fsync follows within 100 ms) or final (after the hang-up, until durable: the write and the fsync it shares with the records written meanwhile).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"kind"})
	return &recordMetrics{
		write:     write,
		waitPhase: write.WithLabelValues("phase"),
		waitFinal: write.WithLabelValues("final"),
		spooled:   spooled,
		phase:     spooled.WithLabelValues("phase"),
		final:     spooled.WithLabelValues("final"),
		shipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sipgate_call_records_shipped_total",
			Help: "Call records the core stored (RecordCalls answered), and so removed from the spool.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sipgate_call_records_dropped_total",
			Help: "Call records the core refused as invalid, alone: dropped from the spool with an error log.",
		}),
		ship: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sipgate_call_records_ship_seconds",
			Help:    "Time of one RecordCalls request to the core (a batch of records), failed ones included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5 ms … 33 s, as the core's RPC histogram
		}),
	}
}

// collectors are r's metrics, the spool's counters read from it at each scrape.
func (r *Records) collectors() []prometheus.Collector {
	m := r.metrics
	return []prometheus.Collector{
		m.write, m.spooled, m.shipped, m.dropped, m.ship,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sipgate_call_records_fsyncs_total",
			Help: "fsyncs of the call records' spool (records, acknowledgements, rewrites); per record written, under 1 when calls share them.",
		}, func() float64 { return float64(r.spool.fsyncs.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sipgate_call_records_spool_bytes_total",
			Help: "Bytes written to the call records' spool (records, acknowledgements, rewrites).",
		}, func() float64 { return float64(r.spool.wrote.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sipgate_call_records_pending",
			Help: "Call records in the spool that the core has not stored yet.",
		}, func() float64 { return float64(r.spool.len()) }),
	}
}

// observeWrite counts a record the call has waited for since start.
func (m *recordMetrics) observeWrite(final bool, start time.Time) {
	if final {
		m.waitFinal.Observe(time.Since(start).Seconds())
		m.final.Inc()
	} else {
		m.waitPhase.Observe(time.Since(start).Seconds())
		m.phase.Inc()
	}
}
