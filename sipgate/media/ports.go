package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"
)

// ErrNoPorts means every port of the range is in use; the call layer
// answers 503 Service Unavailable.
var ErrNoPorts = errors.New("media: no free RTP port")

// PortRange hands out per-call RTP sockets on even ports of [min, max] on one
// IP address. RTP takes even ports and leaves port+1 to RTCP (RFC 3550 §11;
// AllocatePair binds both). Ports are chosen at random, so that nobody can
// tell the next call's port from the last one's and spray it before the
// caller's first packet; late packets of an ended call that reach the next
// one on its port are a source the new session does not accept (Probation).
// Ports bound by anything else are
// skipped. Closing the returned socket releases its port. Safe for
// concurrent use.
type PortRange struct {
	ip    netip.Addr
	first int // lowest even port
	count int // number of even ports
}

// NewPortRange returns the range of even ports in [lo, hi] on ip.
func NewPortRange(ip netip.Addr, lo, hi uint16) (*PortRange, error) {
	first := int(lo) + int(lo)&1
	if lo == 0 || first > int(hi) {
		return nil, fmt.Errorf("media: RTP port range %d-%d has no even port above 0", lo, hi)
	}
	return &PortRange{ip: ip.Unmap(), first: first, count: (int(hi)-first)/2 + 1}, nil
}

// Len returns how many ports the range has.
func (r *PortRange) Len() int { return r.count }

// Allocate binds a free even port chosen at random. It returns an error
// wrapping ErrNoPorts when every port of the range is taken, and any other
// bind error (address not on this host, permission) as is.
//
// The walk starts at a random port and steps by a random stride coprime
// with the range's size, so it tries every port once, in an order nobody
// can predict (math/rand/v2's generator is seeded from the OS per process),
// and the first try succeeds while the range is mostly free.
func (r *PortRange) Allocate() (*net.UDPConn, error) {
	i, stride := rand.IntN(r.count), coprimeStride(r.count)
	for range r.count {
		port := r.first + 2*i
		i = (i + stride) % r.count
		addr := netip.AddrPortFrom(r.ip, uint16(port))
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("media: bind RTP port: %w", err)
		}
	}
	return nil, fmt.Errorf("%w in %s:%d-%d", ErrNoPorts, r.ip, r.first, r.first+2*(r.count-1))
}

// coprimeStride returns a random stride in [1, n) that shares no factor with
// n (1 when n is 1 or 2), so that stepping by it visits all n indexes.
func coprimeStride(n int) int {
	for {
		s := 1 + rand.IntN(max(n-1, 1))
		if gcd(s, n) == 1 {
			return s
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
