package api

import (
	"context"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts and times every RPC by procedure and Connect code, and
// counts webhook deliveries, how phone callers' waits end and what PIN
// attempts meet.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	webhooks *prometheus.CounterVec
	joins    *prometheus.CounterVec
	pins     *prometheus.CounterVec
	// handoffFailures counts sipgate's reports of hand-offs LiveKit refused.
	handoffFailures *prometheus.CounterVec
	expiries        *prometheus.CounterVec
	// transfers counts the REFER transfers opened and closed.
	transfers *prometheus.CounterVec
	// revocations counts participants removed from LiveKit because a change
	// took their right to be there away.
	revocations *prometheus.CounterVec
	// callRecords counts the call records RecordCalls stored, by kind;
	// recordsFinal and recordsPhase are its series, found once.
	callRecords                *prometheus.CounterVec
	recordsFinal, recordsPhase prometheus.Counter

	// procs holds each procedure's series by name (*procMetrics), found
	// once: WithLabelValues hashes and validates its labels on every call.
	procs sync.Map
	// pin holds pins' series by result, found once.
	pin pinCounters
}

// procMetrics are one procedure's series.
type procMetrics struct {
	ok       prometheus.Counter // requests answered without an error
	duration prometheus.Observer
}

// pinCounters are meetline_pin_attempts_total's series.
type pinCounters struct {
	found, wrong, wrongUnderAttack, paced, limited prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_rpc_requests_total",
			Help: "RPCs handled, by procedure and Connect code.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "meetline_rpc_duration_seconds",
			Help:    "Time to handle an RPC (to the end of the stream for streams).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5 ms … 33 s
		}, []string{"procedure"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_webhook_events_total",
			Help: "Webhook deliveries, by source, event and HTTP status.",
		}, []string{"source", "event", "status"}),
		joins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_phone_joins_total",
			Help: "JoinRoom streams ended, by outcome: admitted, denied, room_ended, or abandoned (the call went away first).",
		}, []string{"outcome"}),
		handoffFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_handoff_failures_total",
			Help: "Hand-offs into LiveKit that sipgate reported as failed, by LiveKit's SIP status (0: no answer).",
		}, []string{"sip_status"}),
		expiries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_recordings_expired_total",
			Help: "Recordings the expiry job handled, by outcome: expired (file deleted), failed (kept, tried again), error (the pass failed).",
		}, []string{"outcome"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_revocations_total",
			Help: "Participants removed from a live meeting because they lost the right to be there, by event: access_removed, access_lowered, denied, tightened, room_deleted, join_refused.",
		}, []string{"event"}),
	}
	m.transfers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meetline_transfers_total",
		Help: "Single-use ways into a room for REFER hand-offs, by event: opened, closed.",
	}, []string{"event"})
	m.pins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meetline_pin_attempts_total",
		Help: "ResolvePin attempts by result: found, wrong, wrong_under_attack (the number passed PIN_ATTACK_FAILURES: tarpitted), paced (the number's budget is spent: not looked at yet), limited (the caller's own budget or tarpit).",
	}, []string{"result"})
	m.callRecords = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meetline_call_records_stored_total",
		Help: "Call records sipgate sent that RecordCalls stored, by kind: final (one per call) or phase (a call in progress); a record sent again counts again.",
	}, []string{"kind"})
	m.recordsFinal, m.recordsPhase = m.callRecords.WithLabelValues("final"), m.callRecords.WithLabelValues("phase")
	m.pin = pinCounters{found: m.pins.WithLabelValues("found"), wrong: m.pins.WithLabelValues("wrong"),
		wrongUnderAttack: m.pins.WithLabelValues("wrong_under_attack"), paced: m.pins.WithLabelValues("paced"),
		limited: m.pins.WithLabelValues("limited")}
	reg.MustRegister(m.requests, m.duration, m.webhooks, m.joins, m.pins, m.handoffFailures, m.expiries, m.transfers, m.revocations,
		m.callRecords)
	return m
}

func (m *metrics) observe(procedure string, start time.Time, err error) {
	p := m.proc(procedure)
	if err == nil {
		p.ok.Inc()
	} else {
		m.requests.WithLabelValues(procedure, connect.CodeOf(err).String()).Inc()
	}
	p.duration.Observe(time.Since(start).Seconds())
}

// proc returns procedure's series.
func (m *metrics) proc(procedure string) *procMetrics {
	if p, ok := m.procs.Load(procedure); ok {
		return p.(*procMetrics)
	}
	p, _ := m.procs.LoadOrStore(procedure, &procMetrics{ok: m.requests.WithLabelValues(procedure, "ok"),
		duration: m.duration.WithLabelValues(procedure)})
	return p.(*procMetrics)
}

func (m *metrics) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		start := time.Now()
		res, err := next(ctx, req)
		m.observe(req.Spec().Procedure, start, err)
		return res, err
	}
}

func (m *metrics) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (m *metrics) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		err := next(ctx, conn)
		m.observe(conn.Spec().Procedure, start, err)
		return err
	}
}
