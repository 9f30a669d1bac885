package testenv

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/meetline/meetline/core/app"
)

// Handler serves with a handler set after its server listens, so that a
// server of the test's own (livekit-server, versitygw) can be told the URL
// before the core it calls back is built. Until Set it answers 503.
type Handler struct{ h atomic.Pointer[http.Handler] }

// Set makes h serve from now on.
func (v *Handler) Set(h http.Handler) { v.h.Store(&h) }

func (v *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := v.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.Error(w, "starting", http.StatusServiceUnavailable)
}

// Serve serves h on ln (a fresh loopback port when nil) until the test ends,
// speaking HTTP/1.1 and cleartext HTTP/2 with the core's settings
// (app.Protocols, app.HTTP2), and returns its URL.
func Serve(t testing.TB, ln net.Listener, h http.Handler) string {
	t.Helper()
	return serve(t, ln, h).URL
}

func serve(t testing.TB, ln net.Listener, h http.Handler) *httptest.Server {
	t.Helper()
	hs := httptest.NewUnstartedServer(h)
	if ln != nil {
		hs.Listener.Close()
		hs.Listener = ln
	}
	hs.Config.Protocols, hs.Config.HTTP2 = app.Protocols(), app.HTTP2()
	hs.Start()
	t.Cleanup(hs.Close)
	return hs
}

// Listen returns a loopback listener on a fresh port, for a test that gives
// the URL to another server before the core serves on it.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// transport keeps enough idle connections for concurrent benchmarks;
// http.DefaultTransport keeps two per host and would measure TCP handshakes.
var transport = &http.Transport{MaxIdleConnsPerHost: 64}

// Client returns an HTTP client that sends token as a bearer token ("" sends
// none), as users (identity tokens) and services (service tokens) do.
func Client(token string) *http.Client {
	return &http.Client{Transport: bearer{token: token, next: transport}}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}
