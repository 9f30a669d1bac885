package sipgate

import (
	"strconv"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// statusNone labels requests that get no response: ACK never does (RFC 3261 §17.1.1.3).
const statusNone = "none"

// methodOther labels methods outside RFC 3261 and its common extensions, so that a scanner sending made-up
// methods cannot grow the label set without bound.
const methodOther = "OTHER"

// knownMethods bounds the method label.
var knownMethods = map[sip.RequestMethod]bool{
	sip.INVITE: true, sip.ACK: true, sip.CANCEL: true, sip.BYE: true, sip.REGISTER: true, sip.OPTIONS: true,
	sip.SUBSCRIBE: true, sip.NOTIFY: true, sip.REFER: true, sip.INFO: true, sip.MESSAGE: true, sip.PRACK: true,
	sip.UPDATE: true, sip.PUBLISH: true,
}

// metrics lives in a registry of its own per Server, so that tests (and a process running two servers) never
// collide on the global default registry.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	draining prometheus.Gauge

	calls       *prometheus.CounterVec // by outcome
	setup       prometheus.Histogram   // INVITE → 200 OK
	pinAttempts *prometheus.CounterVec // by result
	digits      *prometheus.CounterVec // by method
	active      prometheus.Gauge
	handoffs    *prometheus.CounterVec // by result
	bridged     prometheus.Gauge
	keypad      *prometheus.CounterVec // by command
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sipgate_sip_requests_total",
			Help: "SIP requests handled by sipgate, by method and final response status (none for ACK).",
		}, []string{"method", "status"}),
		draining: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sipgate_draining",
			Help: "1 while sipgate drains (new INVITEs get 503), else 0.",
		}),
	}
	m.callMetrics()
	m.registry.MustRegister(
		m.requests,
		m.draining,
		m.calls, m.setup, m.pinAttempts, m.digits, m.active, m.handoffs, m.bridged, m.keypad,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// observe counts one handled request; status is the response code, or statusNone.
func (m *metrics) observe(method sip.RequestMethod, status string) {
	label := string(method)
	if !knownMethods[method] {
		label = methodOther
	}
	m.requests.WithLabelValues(label, status).Inc()
}

func (m *metrics) observeResponse(method sip.RequestMethod, code int) {
	m.observe(method, strconv.Itoa(code))
}

// Results of sipgate_handoffs_total.
const (
	handoffBridged      = "bridged"
	handoffTransferred  = "transferred"
	handoffReferRefused = "refer_refused"
	handoffFailed       = "failed"
)

// Results of sipgate_pin_attempts_total.
const (
	pinOK      = "ok"
	pinWrong   = "wrong"
	pinLimited = "limited"
	pinTimeout = "timeout"
	pinError   = "error"
)

// callMetrics builds the call metrics, every label value present from the start at 0 so that rates and
// alerts work before the first event.
func (m *metrics) callMetrics() {
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipgate_calls_total",
		Help: "Calls ended, by outcome.",
	}, []string{"outcome"})
	m.setup = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sipgate_call_setup_seconds",
		Help:    "Time from INVITE received to 200 OK sent (core lookup, ports, SDP).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.pinAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipgate_pin_attempts_total",
		Help: "PIN entries, by result.",
	}, []string{"result"})
	m.digits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipgate_dtmf_digits_total",
		Help: "DTMF keys taken by the IVR (each key once), by method.",
	}, []string{"method"})
	m.active = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sipgate_active_calls",
		Help: "Calls in progress, from INVITE accepted to the end of the call.",
	})
	m.handoffs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipgate_handoffs_total",
		Help: "Hand-offs of admitted callers to LiveKit, by result (bridged, transferred, refer_refused, failed).",
	}, []string{"result"})
	m.bridged = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sipgate_bridged_calls",
		Help: "Calls whose RTP sipgate relays to LiveKit right now.",
	})
	m.keypad = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipgate_keypad_commands_total",
		Help: "Keypad commands bridged callers carried out (*6 toggle_mute, *9 toggle_hand, *0 status).",
	}, []string{"command"})
	for _, cmd := range []KeypadCommand{KeypadToggleMute, KeypadToggleHand, KeypadStatus} {
		m.keypad.WithLabelValues(keypadLabel(cmd))
	}
	for _, o := range Outcomes() {
		m.calls.WithLabelValues(o.String())
	}
	for _, r := range []string{handoffBridged, handoffTransferred, handoffReferRefused, handoffFailed} {
		m.handoffs.WithLabelValues(r)
	}
	for _, r := range []string{pinOK, pinWrong, pinLimited, pinTimeout, pinError} {
		m.pinAttempts.WithLabelValues(r)
	}
	m.digits.WithLabelValues("rtp")
	m.digits.WithLabelValues("info")
	m.digits.WithLabelValues("inband")
}
