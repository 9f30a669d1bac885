package sipgate

import (
	"bufio"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// dialTCP opens n TCP connections to addr.
func dialTCP(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns
}

// closedByServer reports whether the server has closed c: a read returns EOF (or a reset) before within.
func closedByServer(c net.Conn, within time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(within))
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		return false
	}
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// 300 connections that send nothing are all closed after the first-read timeout; before the change they
// stayed open for good.
func TestIdleTCPConnectionsClosed(t *testing.T) {
	t.Parallel()
	srv := startServer(t, WithConnLimits(ConnLimits{FirstRead: 500 * time.Millisecond, Idle: time.Second, PerSource: 400}))
	conns := dialTCP(t, srv.Addr(), 300)
	for i, c := range conns {
		if !closedByServer(c, 5*time.Second) {
			t.Fatalf("idle connection %d still open", i)
		}
	}
}

// A connection in use stays open past the first-read timeout and closes once idle for the idle timeout.
func TestActiveTCPConnectionStaysThenIdles(t *testing.T) {
	t.Parallel()
	srv := startServer(t, WithConnLimits(ConnLimits{FirstRead: 300 * time.Millisecond, Idle: 900 * time.Millisecond, PerSource: 4}))
	c := dialTCP(t, srv.Addr(), 1)[0]
	r := bufio.NewReader(c)
	for i := range 3 { // 3 × 250 ms of traffic: past the first-read timeout
		time.Sleep(250 * time.Millisecond)
		opts := "OPTIONS sip:" + srv.Addr() + " SIP/2.0\r\nVia: SIP/2.0/TCP " + c.LocalAddr().String() + ";branch=z9hG4bK-" + string(rune('a'+i)) +
			"\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:" + srv.Addr() + ">\r\nCall-ID: idle-" + string(rune('a'+i)) +
			"\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
		if _, err := c.Write([]byte(opts)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
			t.Fatalf("OPTIONS %d: %q, %v", i, line, err)
		}
		for line != "\r\n" && err == nil { // the rest of the response
			line, err = r.ReadString('\n')
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("unexpected data")
	}
	if idle := time.Since(start); idle < 500*time.Millisecond || idle > 4*time.Second {
		t.Errorf("closed after %v of idleness, want about 900ms", idle)
	}
}

// Beyond the per-source cap, connections are closed as soon as accepted and counted; a trusted proxy is
// exempt.
func TestTCPConnectionsPerSource(t *testing.T) {
	t.Parallel()
	limits := ConnLimits{FirstRead: 10 * time.Second, Idle: 10 * time.Second, PerSource: 3}
	srv := startServer(t, WithConnLimits(limits))
	conns := dialTCP(t, srv.Addr(), 5)
	for i, c := range conns {
		if closed := closedByServer(c, 200*time.Millisecond); closed != (i >= 3) {
			t.Errorf("connection %d: closed %v", i, closed)
		}
	}
	eventually(t, "2 refused", func() bool {
		return srv.metric(t, "sipgate_tcp_connections_refused_total") == "2"
	})
	conns[0].Close() // frees a place
	time.Sleep(100 * time.Millisecond)
	if closedByServer(dialTCP(t, srv.Addr(), 1)[0], 200*time.Millisecond) {
		t.Error("a connection after one closed was refused")
	}

	cc := DefaultCallConfig()
	cc.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	trusted := startServer(t, WithConnLimits(limits), WithCallConfig(cc))
	for i, c := range dialTCP(t, trusted.Addr(), 5) {
		if closedByServer(c, 200*time.Millisecond) {
			t.Errorf("connection %d from a trusted proxy refused", i)
		}
	}
}
