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
	m.registry.MustRegister(
		m.requests,
		m.draining,
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
