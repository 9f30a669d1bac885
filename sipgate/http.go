package sipgate

import (
	"net/http"
	"net/http/pprof"

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

// DebugHandler returns h, plus net/http/pprof's profiles under /debug/pprof/ when on (SIPGATE_PPROF): a load
// test takes CPU and heap profiles of a live gateway there. When off it returns h itself, so the routes do not
// exist (404). The routes are registered on a mux of their own rather than through the pprof package's init,
// which only fills http.DefaultServeMux, a mux sipgate never serves.
func DebugHandler(h http.Handler, on bool) http.Handler {
	if !on {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // the named profiles: heap, goroutine, allocs, mutex…
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile) // CPU, ?seconds=N
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
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
