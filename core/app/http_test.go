package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
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
