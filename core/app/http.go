package app

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/meetline/meetline/core/api"
)

// HTTPServer is the server the core's handler runs on: HTTP/1.1 and
// cleartext HTTP/2 (which gRPC clients need), with the timeouts of cfg, so
// that a client trickling its headers or body, or keeping idle connections
// open, holds no goroutine for long. ReadTimeout bounds receiving a request
// only: net/http lifts it once the body is read, so a response (the lobby's
// WatchEntry) may stream for as long as it needs.
func HTTPServer(cfg Config, h http.Handler, log *slog.Logger) *http.Server {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{Handler: h, Protocols: protocols, ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout: cfg.ReadTimeout, IdleTimeout: cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// limitBodies bounds every request's body to api.MaxBodyBytes before
// anything reads it. RPCs keep it too, although Connect bounds their
// messages and the request copy costs two allocations a call: Connect reads
// an oversized unary body to its end to keep the connection, so without
// this bound a client could make it read for as long as ReadTimeout lasts.
func limitBodies(h http.Handler) http.Handler { return http.MaxBytesHandler(h, api.MaxBodyBytes) }

// rpcFirst sends the core's Connect RPCs, "/meetline.v1.<Service>/<Method>", straight to the API's
// handler, past the mux of the console, the development issuer and the debug routes, none of which
// serves such a path: that mux would match every pattern and allocate on each call.
type rpcFirst struct {
	rpc, rest http.Handler
}

func (f rpcFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/meetline.v1.") {
		f.rpc.ServeHTTP(w, r)
		return
	}
	f.rest.ServeHTTP(w, r)
}
