package sipgate

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestServerAnswers(t *testing.T) {
	srv := startServer(t, WithRetryAfter(45*time.Second), WithUserAgent("sipgate-under-test"))
	tests := []struct {
		name       string
		request    func(t *testing.T, addr, transport string) *sip.Request
		wantStatus int
		wantHeader map[string]string
	}{
		{
			name: "OPTIONS probe",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				return newRequest(t, sip.OPTIONS, addr, tp)
			},
			wantStatus: sip.StatusOK,
			wantHeader: map[string]string{"Allow": allowed, "Accept": "application/sdp"},
		},
		{
			name: "INVITE with SDP",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				return withSDP(newRequest(t, sip.INVITE, addr, tp))
			},
			// No core configured: sipgate cannot answer anyone.
			wantStatus: sip.StatusServiceUnavailable,
			wantHeader: map[string]string{"Retry-After": "45"},
		},
		{
			name: "re-INVITE naming an unknown dialog",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				req := withSDP(newRequest(t, sip.INVITE, addr, tp))
				to := &sip.ToHeader{Address: req.Recipient, Params: sip.NewParams()}
				to.Params.Add("tag", "no-such-dialog")
				req.AppendHeader(to)
				return req
			},
			wantStatus: sip.StatusCallTransactionDoesNotExists,
		},
		{
			name: "BYE outside a dialog",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				return newRequest(t, sip.BYE, addr, tp)
			},
			wantStatus: sip.StatusCallTransactionDoesNotExists,
		},
		{
			name: "CANCEL matching no INVITE",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				return newRequest(t, sip.CANCEL, addr, tp)
			},
			wantStatus: sip.StatusCallTransactionDoesNotExists,
		},
		{
			name: "MESSAGE is not implemented",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				return newRequest(t, sip.MESSAGE, addr, tp)
			},
			wantStatus: sip.StatusMethodNotAllowed,
			wantHeader: map[string]string{"Allow": allowed},
		},
		{
			name: "SUBSCRIBE is not implemented",
			request: func(t *testing.T, addr, tp string) *sip.Request {
				return newRequest(t, sip.SUBSCRIBE, addr, tp)
			},
			wantStatus: sip.StatusMethodNotAllowed,
			wantHeader: map[string]string{"Allow": allowed},
		},
	}
	for _, tp := range transports {
		client := newClient(t)
		for _, tt := range tests {
			t.Run(tp+"/"+tt.name, func(t *testing.T) {
				res := do(t, client, tt.request(t, srv.Addr(), tp))
				if res.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d %s, want %d", res.StatusCode, res.Reason, tt.wantStatus)
				}
				if got := header(res, "Server"); got != "sipgate-under-test" {
					t.Errorf("Server = %q, want sipgate-under-test", got)
				}
				for name, want := range tt.wantHeader {
					if got := header(res, name); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
			})
		}
	}
}

// TestServerListensOnOnePort checks that UDP and TCP share the port reported by Addr, port 0 included.
func TestServerListensOnOnePort(t *testing.T) {
	srv := startServer(t)
	if _, port, _ := net.SplitHostPort(srv.Addr()); port == "0" || port == "" {
		t.Fatalf("Addr() = %q, want a bound port", srv.Addr())
	}
	conn, err := net.DialTimeout("tcp", srv.Addr(), testTimeout)
	if err != nil {
		t.Fatalf("dial tcp %s: %v", srv.Addr(), err)
	}
	conn.Close()
	// UDP has no handshake: a bound UDP port is proven by an answer.
	res := do(t, newClient(t), newRequest(t, sip.OPTIONS, srv.Addr(), "udp"))
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("OPTIONS over UDP: %d", res.StatusCode)
	}
}

func TestShutdownDrainsThenCloses(t *testing.T) {
	srv := startServer(t, WithRetryAfter(7*time.Second))
	client := newClient(t)
	srv.inflight.begin() // a live call, which the drain waits for

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		shutdown <- srv.Shutdown(ctx)
	}()
	eventually(t, "draining", srv.Draining)

	for _, tp := range transports {
		for _, method := range []sip.RequestMethod{sip.INVITE, sip.OPTIONS} {
			req := newRequest(t, method, srv.Addr(), tp)
			if method == sip.INVITE {
				withSDP(req)
			}
			res := do(t, client, req)
			if res.StatusCode != sip.StatusServiceUnavailable || header(res, "Retry-After") != "7" {
				t.Errorf("%s over %s while draining: %d, Retry-After %q; want 503, 7",
					method, tp, res.StatusCode, header(res, "Retry-After"))
			}
		}
	}
	if code, body := get(t, srv.Handler(), "/healthz"); code != 503 || body != "draining" {
		t.Errorf("/healthz while draining = %d %q, want 503 draining", code, body)
	}
	if _, body := get(t, srv.Handler(), "/metrics"); !strings.Contains(body, "\nsipgate_draining 1\n") {
		t.Errorf("/metrics while draining lacks sipgate_draining 1:\n%s", body)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a call was in progress", err)
	default:
	}

	srv.inflight.end() // the call ends
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := srv.wait(t); err != nil {
		t.Fatalf("ListenAndServe after Shutdown: %v", err)
	}
	if conn, err := net.Dial("tcp", srv.Addr()); err == nil {
		conn.Close()
		t.Error("TCP listener still accepts after Shutdown")
	}
	if code, body := get(t, srv.Handler(), "/healthz"); code != 503 || body != "stopped" {
		t.Errorf("/healthz after Shutdown = %d %q, want 503 stopped", code, body)
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	srv := startServer(t)
	srv.inflight.begin()
	defer srv.inflight.end()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := srv.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if err := srv.wait(t); err != nil {
		t.Fatalf("ListenAndServe: %v", err)
	}
}

func TestListenAndServeStopsOnContext(t *testing.T) {
	srv, err := New("127.0.0.1:0", WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe(ctx) }()
	<-srv.Ready()
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("ListenAndServe = %v, want nil", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("ListenAndServe did not return after cancel")
	}
	if err := srv.ListenAndServe(context.Background()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("second ListenAndServe = %v, want ErrServerClosed", err)
	}
}

func TestListenAndServeAfterShutdown(t *testing.T) {
	srv, err := New("127.0.0.1:0", WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before start: %v", err)
	}
	if err := srv.ListenAndServe(context.Background()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe after Shutdown = %v, want ErrServerClosed", err)
	}
}

func TestListenAndServeReportsBusyPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	srv, err := New(taken.Addr().String(), WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ListenAndServe(context.Background()); err == nil {
		t.Fatal("ListenAndServe on a taken port succeeded")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New("nowhere"); err == nil {
		t.Error("New accepted an address without a port")
	}
	if _, err := New("127.0.0.1:0", WithRetryAfter(500*time.Millisecond)); err == nil {
		t.Error("New accepted a Retry-After under one second")
	}
}
