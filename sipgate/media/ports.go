package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// ErrNoPorts means every port of the range is in use; the call layer
// answers 503 Service Unavailable.
var ErrNoPorts = errors.New("media: no free RTP port")

// PortRange hands out per-call RTP sockets on even ports of [min, max] on one
// IP address. RTP takes even ports and leaves port+1 to RTCP (RFC 3550 §11;
// AllocatePair binds both). Ports are tried
// round-robin, so a port just released is reused last and late packets of
// an ended call do not reach the next one; ports bound by anything else are
// skipped. Closing the returned socket releases its port. Safe for
// concurrent use.
type PortRange struct {
	ip    netip.Addr
	first int // lowest even port
	count int // number of even ports

	mu   sync.Mutex
	next int // index of the next port to try
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

// Allocate binds the next free even port. It returns an error wrapping
// ErrNoPorts when every port of the range is taken, and any other bind error
// (address not on this host, permission) as is.
func (r *PortRange) Allocate() (*net.UDPConn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range r.count {
		port := r.first + 2*r.next
		r.next = (r.next + 1) % r.count
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
