package sipgate

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler returns the operator endpoints, to be served on the HTTP address:
//
//   - GET /healthz: 200 "ok" while the server takes calls; 503 with "starting", "draining" or "stopped"
//     otherwise, so that a readiness probe takes a draining replica out of rotation;
//   - GET /metrics: this server's Prometheus registry.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.serveHealthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{
		Registry: s.metrics.registry, // counts its own scrape errors
	}))
	return mux
}

func (s *Server) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	ok, state := s.health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(state + "\n"))
}
