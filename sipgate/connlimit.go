package sipgate

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ConnLimits bound the TCP and TLS connections sipgate accepts, which otherwise stay open as long as the
// peer likes: a scanner or a slowloris holding hundreds of idle sockets costs a file descriptor and a
// goroutine each.
type ConnLimits struct {
	// FirstRead: a connection that sends nothing (nor completes its TLS handshake) this long after it was
	// accepted is closed. Default 10 s.
	FirstRead time.Duration
	// Idle: a connection with no traffic either way this long is closed. Default 2 min, Kamailio's
	// tcp_connection_lifetime; carriers keep theirs alive with OPTIONS or CRLF pings (RFC 5626 §3.5.1).
	Idle time.Duration
	// PerSource bounds the connections open at once from one address; more are closed as soon as accepted.
	// Addresses in SIPGATE_TRUSTED_PROXIES (the Kamailio in front, carriers) are exempt. Default 32.
	PerSource int
}

// DefaultConnLimits are the limits when [WithConnLimits] is not given.
func DefaultConnLimits() ConnLimits {
	return ConnLimits{FirstRead: 10 * time.Second, Idle: 2 * time.Minute, PerSource: 32}
}

// WithConnLimits sets the limits on TCP and TLS connections; zero fields keep their defaults.
func WithConnLimits(l ConnLimits) Option {
	return func(s *Server) {
		d := DefaultConnLimits()
		setDefault(&l.FirstRead, d.FirstRead)
		setDefault(&l.Idle, d.Idle)
		setDefault(&l.PerSource, d.PerSource)
		s.connLimits = l
	}
}

// limitListener applies ConnLimits to the connections of a stream listener.
type limitListener struct {
	net.Listener
	limits  ConnLimits
	exempt  []netip.Prefix
	refused *atomic.Uint64 // connections closed for the per-source cap

	mu   sync.Mutex
	open map[netip.Addr]int
}

func newLimitListener(ln net.Listener, limits ConnLimits, exempt []netip.Prefix, refused *atomic.Uint64) *limitListener {
	return &limitListener{Listener: ln, limits: limits, exempt: exempt, refused: refused, open: map[netip.Addr]int{}}
}

// Accept returns the next connection within the per-source cap, closing those beyond it.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if !l.take(ip) {
			c.Close()
			l.refused.Add(1)
			continue
		}
		ic := &idleConn{Conn: c, idle: l.limits.Idle, release: func() { l.give(ip) }}
		_ = c.SetReadDeadline(time.Now().Add(l.limits.FirstRead))
		return ic, nil
	}
}

func (l *limitListener) take(ip netip.Addr) bool {
	for _, p := range l.exempt {
		if p.Contains(ip) {
			return true
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip] >= l.limits.PerSource {
		return false
	}
	l.open[ip]++
	return true
}

func (l *limitListener) give(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ok := l.open[ip]; ok {
		if n <= 1 {
			delete(l.open, ip)
		} else {
			l.open[ip] = n - 1
		}
	}
}

func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// idleConn closes itself after its idle time without traffic: every read or write that moves bytes pushes
// the read deadline on. A deadline that passes reads as io.EOF, so that sipgo closes the connection as it
// does one the peer closed.
type idleConn struct {
	net.Conn
	idle    time.Duration
	release func()
	once    sync.Once
}

func (c *idleConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = io.EOF
	}
	return n, err
}

func (c *idleConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) touch() { _ = c.Conn.SetReadDeadline(time.Now().Add(c.idle)) }

func (c *idleConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
