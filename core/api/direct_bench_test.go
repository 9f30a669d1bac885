package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/protobuf/proto"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// directCall is a request exactly as sipgate's client sends it (method,
// path, headers, body), captured once so that a benchmark can hand it to the
// core's handler again and again: what that costs is the core's own share of
// an RPC, with no client, no socket and no net/http server.
type directCall struct {
	r    *http.Request // method, URL, Host; its Header and Body are replaced per call
	body []byte
}

// newDirectCalls captures the ResolvePin requests sipgateClient sends for
// reqs, and checks that h answers the first with a room.
func newDirectCalls(b *testing.B, h http.Handler, procedure string, reqs []*meetlinev1.ResolvePinRequest) []directCall {
	b.Helper()
	var got capture
	tel := meetlinev1connect.NewTelephonyServiceClient(&http.Client{Transport: &got}, "http://core.test", withBearer(sipgateToken))
	calls := make([]directCall, 0, len(reqs))
	for _, req := range reqs {
		ctx, cancel := context.WithTimeout(context.Background(), sipgateTimeout)
		_, err := tel.ResolvePin(ctx, req)
		cancel()
		if !errors.Is(err, errCaptured) || got.r.URL.Path != procedure {
			b.Fatalf("capturing %s: %v", procedure, err)
		}
		calls = append(calls, directCall(got))
	}
	w := httptest.NewRecorder()
	r := calls[0].r.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(calls[0].body))
	h.ServeHTTP(w, r)
	var res meetlinev1.ResolvePinResponse
	if err := proto.Unmarshal(w.Body.Bytes(), &res); w.Code != http.StatusOK || err != nil || res.RoomId == "" {
		b.Fatalf("%s served directly: %d %q (%v)", procedure, w.Code, w.Body, err)
	}
	return calls
}

// errCaptured is what capture answers: the request went no further.
var errCaptured = errors.New("captured")

// capture is a RoundTripper that keeps the request it is given and its body.
type capture struct {
	r    *http.Request
	body []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.r, c.body = r, body
	return nil, errCaptured
}

// directWriter serves directCalls one after the other, reusing its request,
// body reader and response header map, so that what a call allocates is the
// handler's doing. Connect writes to the request's headers: every writer has
// its own.
type directWriter struct {
	r      http.Request
	header http.Header // the request's
	body   body
	res    http.Header
	code   int
}

func newDirectWriter() *directWriter {
	return &directWriter{header: make(http.Header), res: make(http.Header)}
}

// serve has h answer c and checks that it answered 200.
func (w *directWriter) serve(h http.Handler, c directCall) error {
	clear(w.header)
	for k, v := range c.r.Header {
		w.header[k] = v
	}
	clear(w.res)
	w.code = 0
	w.body.Reset(c.body)
	w.r = http.Request{Method: c.r.Method, URL: c.r.URL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: &w.body, ContentLength: int64(len(c.body)), Host: c.r.URL.Host, RemoteAddr: "127.0.0.1:40000",
		RequestURI: c.r.URL.Path}
	h.ServeHTTP(w, &w.r)
	if w.code != http.StatusOK {
		return fmt.Errorf("%s: status %d", c.r.URL.Path, w.code)
	}
	return nil
}

func (w *directWriter) Header() http.Header { return w.res }

func (w *directWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *directWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// body is a request body that can be read again after Reset.
type body struct{ bytes.Reader }

func (*body) Close() error { return nil }
