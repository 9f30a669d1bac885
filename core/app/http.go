package app

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/meetline/meetline/core/api"
)

// HTTPServer is the server the core's handler runs on: HTTP/1.1 and
// cleartext HTTP/2 (which gRPC clients and sipgate use), with the timeouts of
// cfg, so that a client trickling its headers or body, or keeping idle
// connections open, holds no goroutine for long. ReadTimeout bounds
// receiving a request only: net/http lifts it once the body is read, so a
// response (the lobby's WatchEntry) may stream for as long as it needs.
func HTTPServer(cfg Config, h http.Handler, log *slog.Logger) *http.Server {
	hs := &http.Server{Handler: h, Protocols: Protocols(), HTTP2: HTTP2(), ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout: cfg.ReadTimeout, IdleTimeout: cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if cfg.MaxConnAge > 0 {
		hs.ConnContext, hs.Handler = connRetirement(cfg.MaxConnAge), retireConns(h)
	}
	return hs
}

// retireAtKey holds, in a connection's context, when the connection is to
// stop taking new requests.
type retireAtKey struct{}

// connRetirement gives each connection its retirement time: maxAge from its
// accept, less up to a tenth at random, so that the connections a sipgate
// opened together, or a whole fleet's after a core restart, do not all
// retire at once.
func connRetirement(maxAge time.Duration) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, _ net.Conn) context.Context {
		age := maxAge - rand.N(maxAge/10+1)
		return context.WithValue(ctx, retireAtKey{}, time.Now().Add(age))
	}
}

// retireConns answers the requests of a connection past its retirement with
// "Connection: close": HTTP/1.1 closes the connection after the response,
// and Go's HTTP/2 server sends GOAWAY, so the streams already open (a
// waiting caller's JoinRoom) run to their end while the client opens a new
// connection for what follows. sipgate multiplexes all its calls on one
// HTTP/2 connection: without this, that connection, and so every call of
// that sipgate, would stay on the core replica it first reached, and a
// replica added later would get none of them. This is gRPC's
// MaxConnectionAge.
func retireConns(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if at, ok := r.Context().Value(retireAtKey{}).(time.Time); ok && time.Now().After(at) {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// Protocols are the core's: HTTP/1.1 (browsers, nginx, curl) and cleartext
// HTTP/2 with prior knowledge (gRPC clients, sipgate).
func Protocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

// MaxStreamsPerConn is how many streams one HTTP/2 connection may have open.
// sipgate holds one stream per waiting caller (JoinRoom) and per bridged call
// (WatchCall) and sends its unary RPCs beside them: at Go's default of 250 a
// sipgate at its 5,000-call target would need 20 connections, and each time
// every connection is full the RPC that finds them so waits for a new one to
// be dialled. Raising it costs nothing per connection: the handlers'
// goroutines are the same on one connection or twenty, and the flow-control
// windows are ceilings, not buffers. Nor is it a defence: a client may
// open more connections.
const MaxStreamsPerConn = 1000

// HTTP2 configures the core's HTTP/2 connections. A connection silent for
// 30 s is pinged and closed when 15 s pass without an answer, so that a
// sipgate that vanished without closing its connections (a lost node, a
// partition) no longer holds its callers' streams, and the lobby and the
// call watchers see them leave. The flow-control windows stay Go's (1 MiB
// per stream and per connection for request bodies, which are small and
// read at once).
func HTTP2() *http.HTTP2Config {
	return &http.HTTP2Config{MaxConcurrentStreams: MaxStreamsPerConn, SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second}
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
