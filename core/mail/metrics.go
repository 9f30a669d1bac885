package mail

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	sent      prometheus.Counter
	failedVec *prometheus.CounterVec
}

func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meetline_mail_sent_total", Help: "Messages the SMTP server accepted.",
		}),
		failedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_mail_failed_total",
			Help: "Failed sending attempts; final=\"true\" when the message was given up.",
		}, []string{"final"}),
	}
	m.failedVec.WithLabelValues("true") // both series exist from the start, at 0
	m.failedVec.WithLabelValues("false")
	if r != nil {
		m.sent = register(r, m.sent)
		m.failedVec = register(r, m.failedVec)
	}
	return m
}

func (m *metrics) failed(final bool) prometheus.Counter {
	if final {
		return m.failedVec.WithLabelValues("true")
	}
	return m.failedVec.WithLabelValues("false")
}

// register registers c, or returns the collector already registered under
// its name: several workers in one process share their counters.
func register[C prometheus.Collector](r prometheus.Registerer, c C) C {
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}
