package corerpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
	"github.com/meetline/meetline/sipgate"
)

// dialCounter counts the TCP connections a transport opens.
type dialCounter struct {
	n atomic.Int64
	d net.Dialer
}

func (c *dialCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c.n.Add(1)
	return c.d.DialContext(ctx, network, addr)
}

// freezer relays TCP connections to a server. freeze stops relaying on the connections open then and
// keeps them open, as a partition or a lost node leaves them: no byte, no FIN, no RST. Later connections
// are relayed again.
type freezer struct {
	ln net.Listener
	mu sync.Mutex
	// frozen is closed by freeze; each connection watches the one of its accept time.
	frozen chan struct{}
	conns  []net.Conn
}

func newFreezer(t *testing.T, addr string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, frozen: make(chan struct{})}
	t.Cleanup(f.close)
	go f.serve(addr)
	return f
}

func (f *freezer) serve(addr string) {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, s)
		frozen := f.frozen
		f.mu.Unlock()
		go relay(s, c, frozen)
		go relay(c, s, frozen)
	}
}

// relay copies src to dst until src ends or frozen is closed.
func relay(dst, src net.Conn, frozen chan struct{}) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-frozen:
			return
		default:
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.frozen)
	f.frozen = make(chan struct{})
}

// reset resets the connections open now (RST, as a crashed host's kernel or a middlebox may); later
// connections are relayed.
func (f *freezer) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}
	f.conns = nil
}

func (f *freezer) close() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

// TestPingsFindVanishedCore: a core that stops answering without closing its connection is found out by
// the HTTP/2 pings, and the waiting caller's JoinRoom opens its stream again on a new connection and gets
// its decision. Over HTTP/1.1 the stream would wait for TCP's keepalive, minutes.
func TestPingsFindVanishedCore(t *testing.T) {
	f := &flakyCore{}
	_, h := meetlinev1connect.NewTelephonyServiceHandler(f)
	fr := newFreezer(t, serveLikeCore(t, h).Listener.Addr().String())
	var dials dialCounter
	tr := newTransport(sipgate.CoreHTTP2)
	tr.DialContext = dials.dial
	tr.HTTP2.SendPingTimeout, tr.HTTP2.PingTimeout = 100*time.Millisecond, 100*time.Millisecond
	c := newClient(sipgate.CoreConfig{URL: "http://" + fr.ln.Addr().String(), Token: "tok", ResolveTimeout: time.Second}, tr)
	c.backoff = time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a guard, not a measure
	defer cancel()
	var got []sipgate.AdmissionStatus
	err := c.JoinRoom(ctx, sipgate.JoinRequest{RoomID: "hang", CallID: "c1"}, func(a sipgate.Admission) {
		if got = append(got, a.Status); len(got) == 1 {
			fr.freeze()
		}
	})
	want := []sipgate.AdmissionStatus{sipgate.WaitingForHost, sipgate.WaitingForHost, sipgate.Admitted}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("JoinRoom: statuses %v, err %v; want %v", got, err, want)
	}
	if n := dials.n.Load(); n != 2 {
		t.Errorf("%d connections dialled, want 2: the frozen one and its replacement", n)
	}
}

// TestHTTP1OnlyCore: behind a proxy that speaks only HTTP/1.1, SIPGATE_CORE_HTTP=http1 works, unary calls
// and streams alike; the default, HTTP/2 with prior knowledge, cannot, and says the core is unavailable.
func TestHTTP1OnlyCore(t *testing.T) {
	_, h := meetlinev1connect.NewTelephonyServiceHandler(&flakyCore{})
	hs := httptest.NewServer(h) // HTTP/1.1 only
	t.Cleanup(hs.Close)
	ctx := context.Background()

	c := New(sipgate.CoreConfig{URL: hs.URL, Token: "tok", ResolveTimeout: time.Second, HTTP: sipgate.CoreHTTP1})
	if _, err := c.LookupNumber(ctx, testNumber); err != nil {
		t.Errorf("http1: LookupNumber: %v", err)
	}
	if err := c.JoinRoom(ctx, sipgate.JoinRequest{RoomID: "r1", CallID: "c1"}, func(sipgate.Admission) {}); err != nil {
		t.Errorf("http1: JoinRoom: %v", err)
	}

	c = New(sipgate.CoreConfig{URL: hs.URL, Token: "tok", ResolveTimeout: time.Second})
	c.backoff = time.Millisecond
	if _, err := c.LookupNumber(ctx, testNumber); !errors.Is(err, sipgate.ErrCoreUnavailable) {
		t.Errorf("http2 to an HTTP/1.1-only core: %v, want ErrCoreUnavailable", err)
	}
}

// TestHTTP2OverTLS: to an https:// URL the client speaks HTTP/2, chosen by ALPN.
func TestHTTP2OverTLS(t *testing.T) {
	_, h := meetlinev1connect.NewTelephonyServiceHandler(&flakyCore{})
	var proto atomic.Value
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		h.ServeHTTP(w, r)
	}))
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(hs.Close)
	tr := newTransport(sipgate.CoreHTTP2)
	tr.TLSClientConfig = hs.Client().Transport.(*http.Transport).TLSClientConfig.Clone() // trusts the test's certificate
	c := newClient(sipgate.CoreConfig{URL: hs.URL, Token: "tok", ResolveTimeout: time.Second}, tr)
	if _, err := c.LookupNumber(context.Background(), testNumber); err != nil {
		t.Fatal(err)
	}
	if got := proto.Load(); got != "HTTP/2.0" {
		t.Errorf("over %v, want HTTP/2.0", got)
	}
}

// TestResetConnection: a connection reset under a stream, which Connect reports as Canceled as if sipgate
// had ended the call, reopens JoinRoom; under unary calls it is the core unavailable, retried as such.
func TestResetConnection(t *testing.T) {
	for _, version := range []string{sipgate.CoreHTTP2, sipgate.CoreHTTP1} {
		t.Run(version, func(t *testing.T) {
			f := &flakyCore{}
			_, h := meetlinev1connect.NewTelephonyServiceHandler(f)
			fr := newFreezer(t, serveLikeCore(t, h).Listener.Addr().String())
			c := New(sipgate.CoreConfig{URL: "http://" + fr.ln.Addr().String(), Token: "tok", ResolveTimeout: time.Second, HTTP: version})
			c.backoff = time.Millisecond
			var got []sipgate.AdmissionStatus
			err := c.JoinRoom(context.Background(), sipgate.JoinRequest{RoomID: "hang", CallID: "c1"}, func(a sipgate.Admission) {
				if got = append(got, a.Status); len(got) == 1 {
					fr.reset()
				}
			})
			want := []sipgate.AdmissionStatus{sipgate.WaitingForHost, sipgate.WaitingForHost, sipgate.Admitted}
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("JoinRoom: statuses %v, err %v; want %v", got, err, want)
			}
		})
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() { // reads a little of each request, then resets its connection
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Read(make([]byte, 16))
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}()
	for _, version := range []string{sipgate.CoreHTTP2, sipgate.CoreHTTP1} {
		accepted.Store(0)
		c := New(sipgate.CoreConfig{URL: "http://" + ln.Addr().String(), Token: "tok", ResolveTimeout: time.Second, HTTP: version})
		c.backoff = time.Millisecond
		if _, err := c.LookupNumber(context.Background(), testNumber); !errors.Is(err, sipgate.ErrCoreUnavailable) {
			t.Errorf("%s: LookupNumber on reset connections: %v, want ErrCoreUnavailable", version, err)
		}
		if n := accepted.Load(); n < 3 {
			t.Errorf("%s: %d connections, want 3 attempts at least", version, n)
		}
	}
}
