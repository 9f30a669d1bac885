package sipgate

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// testTimeout bounds every wait in these tests, so that a hang fails instead of stalling the run.
const testTimeout = 10 * time.Second

// transports are the SIP transports sipgate serves; tests that talk SIP run once per transport.
var transports = []string{"udp", "tcp"}

var discard = slog.New(slog.DiscardHandler)

// running is a Server serving on loopback with port 0.
type running struct {
	*Server
	errc chan error   // receives ListenAndServe's result
	fx   *coreFixture // startGateway's core
	recs *Records     // startGateway's call records
}

// startServer serves a new Server on 127.0.0.1:0 until the test ends, failing the test if ListenAndServe then
// returns an error.
func startServer(t testing.TB, opts ...Option) *running {
	t.Helper()
	srv, err := New("127.0.0.1:0", append([]Option{WithLogger(discard)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Server: srv, errc: make(chan error, 1)}
	go func() { r.errc <- srv.ListenAndServe(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-r.errc:
		cancel()
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(testTimeout):
		cancel()
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		cancel()
		if err := r.wait(t); err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	return r
}

// wait returns ListenAndServe's result (once; later calls return nil).
func (r *running) wait(t testing.TB) error {
	t.Helper()
	select {
	case err, ok := <-r.errc:
		if ok {
			close(r.errc)
		}
		return err
	case <-time.After(testTimeout):
		t.Fatal("ListenAndServe did not return")
		return nil
	}
}

// newClient is a sipgo UAC with its own user agent, closed when the test ends.
func newClient(t testing.TB) *sipgo.Client {
	t.Helper()
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("sipgate-test"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard)),
	)
	if err != nil {
		t.Fatalf("sipgo.NewUA: %v", err)
	}
	t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientLogger(discard))
	if err != nil {
		t.Fatalf("sipgo.NewClient: %v", err)
	}
	return c
}

// newRequest builds a request to addr over transport. From, To, Call-ID, CSeq and Via are added by the client.
func newRequest(t testing.TB, method sip.RequestMethod, addr, transport string) *sip.Request {
	t.Helper()
	var uri sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:service@%s;transport=%s", addr, transport), &uri); err != nil {
		t.Fatalf("ParseUri: %v", err)
	}
	return sip.NewRequest(method, uri)
}

// testSDP is a minimal PCMU offer, like the one sipp's uac scenario sends.
const testSDP = "v=0\r\n" +
	"o=- 1 1 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"c=IN IP4 127.0.0.1\r\n" +
	"t=0 0\r\n" +
	"m=audio 6000 RTP/AVP 0 101\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n"

func withSDP(req *sip.Request) *sip.Request {
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(testSDP))
	return req
}

// do sends req and returns its final response.
func do(t testing.TB, c *sipgo.Client, req *sip.Request) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s over %s: %v", req.Method, req.Transport(), err)
	}
	return res
}

func header(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// get serves one GET on h and returns the status and body.
func get(t testing.TB, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

// eventually polls cond until it holds or testTimeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testLogger returns a logger of sipgate's warnings and errors into the test's log, which falls silent
// once the test's cleanups are done: sipgo's goroutines may log a moment later, and logging to a finished
// test panics. Call it before anything whose cleanup should still be logged.
func testLogger(t testing.TB) *slog.Logger {
	w := &quietWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type quietWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *quietWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
