package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serveLimited serves h as main does (HTTPServer, limitBodies) with short
// timeouts, and returns its address.
func serveLimited(t *testing.T, h http.Handler) (string, Config) {
	t.Helper()
	cfg := Defaults()
	cfg.ReadHeaderTimeout, cfg.ReadTimeout, cfg.IdleTimeout = 200*time.Millisecond, 300*time.Millisecond, 200*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := HTTPServer(cfg, limitBodies(h), slog.New(slog.DiscardHandler))
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), cfg
}

// closedWithin reports whether the server closes conn (after sending what it
// has to) within d; a client holding it longer would hold a goroutine.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestServerTimeouts holds connections open as a slow or idle attacker
// would: each is closed at its timeout, well before the test's own 5 s.
func TestServerTimeouts(t *testing.T) {
	read := make(chan error, 1)
	addr, _ := serveLimited(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		read <- err
	}))
	for _, tt := range []struct {
		name, send string
	}{
		{"headers trickled", "POST / HTTP/1.1\r\nHost: core\r\n"},
		{"body trickled", "POST / HTTP/1.1\r\nHost: core\r\nContent-Length: 100\r\n\r\nten bytes."},
		{"idle after a request", "GET / HTTP/1.1\r\nHost: core\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.send); err != nil {
				t.Fatal(err)
			}
			if !closedWithin(t, conn, 5*time.Second) {
				t.Fatal("the server kept the connection open")
			}
			if tt.name == "body trickled" {
				if err := <-read; err == nil {
					t.Error("the handler read a trickled body without error")
				}
			} else if tt.name == "idle after a request" {
				<-read
			}
		})
	}
}

// TestStreamOutlivesReadTimeout streams a response for three times the body
// timeout over HTTP/1.1, as WatchEntry does: the request's context stays
// alive and every chunk arrives.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	const chunks = 9
	var cfg Config
	var addr string
	addr, cfg = serveLimited(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		for i := range chunks {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(cfg.ReadTimeout / 3):
			}
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
		}
	}))
	res, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader("watch"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n := 0
	for sc := bufio.NewScanner(res.Body); sc.Scan(); n++ {
	}
	if n != chunks {
		t.Fatalf("got %d chunks, want %d", n, chunks)
	}
}

// TestBodyLimit sends a body larger than any request needs: the handler's
// read fails at the limit instead of holding it all.
func TestBodyLimit(t *testing.T) {
	read := make(chan int64, 1)
	addr, _ := serveLimited(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		read <- n
	}))
	res, err := http.Post("http://"+addr+"/", "application/octet-stream", strings.NewReader(strings.Repeat("x", 16<<20)))
	if err == nil {
		res.Body.Close()
	}
	if n := <-read; n >= 16<<20 {
		t.Fatalf("the handler read %d bytes", n)
	}
}

// TestConnectionsRetire: past CORE_MAX_CONN_AGE a connection takes no new
// request, over HTTP/1.1 or HTTP/2, so that a client spreads over the
// replicas a load balancer adds; a stream already open on it (a waiting
// caller's JoinRoom) runs to its end.
func TestConnectionsRetire(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2c=%v", h2), func(t *testing.T) {
			release := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "first part;")
				if r.URL.Path == "/stream" {
					w.(http.Flusher).Flush()
					<-release
					io.WriteString(w, "last part")
				}
			})
			cfg := Defaults()
			cfg.MaxConnAge = time.Second
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hs := HTTPServer(cfg, h, slog.New(slog.DiscardHandler))
			go hs.Serve(ln)
			t.Cleanup(func() { hs.Close() })

			var dials atomic.Int32
			tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}
			if h2 {
				tr.Protocols = new(http.Protocols)
				tr.Protocols.SetUnencryptedHTTP2(true)
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			url := "http://" + ln.Addr().String()
			get := func(path string) *http.Response {
				t.Helper()
				resp, err := client.Get(url + path)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			drain := func(resp *http.Response) string {
				t.Helper()
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}

			drain(get("/"))
			var stream *http.Response
			if h2 {
				stream = get("/stream") // on the same connection
			}
			time.Sleep(cfg.MaxConnAge + 200*time.Millisecond)
			drain(get("/")) // the connection's last request
			if n := dials.Load(); n != 1 {
				t.Fatalf("%d connections before the retirement took effect, want 1", n)
			}
			drain(get("/"))
			if n := dials.Load(); n != 2 {
				t.Errorf("%d connections after the first one retired, want 2", n)
			}
			if stream != nil {
				close(release)
				if got := drain(stream); got != "first part;last part" {
					t.Errorf("the stream open on the retired connection got %q", got)
				}
			}
		})
	}
}
