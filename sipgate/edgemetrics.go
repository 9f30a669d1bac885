package sipgate

import "github.com/prometheus/client_golang/prometheus"

// edgeMetrics count what the edge defences drop (docs/security.md).
type edgeMetrics struct {
	// rtpForeign: datagrams a caller's RTP session dropped for their source (strict RTP), added when the
	// call ends.
	rtpForeign prometheus.Counter
}

// registerEdgeMetrics adds the edge counters to the server's registry.
func (s *Server) registerEdgeMetrics() {
	s.edge.rtpForeign = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipgate_rtp_foreign_packets_total",
		Help: "RTP datagrams dropped because they came from a source the call's session does not accept (strict RTP): hijack attempts, scans, stale legs.",
	})
	s.metrics.registry.MustRegister(s.edge.rtpForeign, prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "sipgate_tcp_connections_refused_total",
		Help: "TCP and TLS connections closed at once because their source already had the per-source maximum open.",
	}, func() float64 { return float64(s.refused.Load()) }))
}
