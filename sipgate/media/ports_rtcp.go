package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// AllocatePair binds a free even port for RTP, as Allocate does, together
// with the odd port above it for RTCP (RFC 3550 §11): a peer sending RTCP
// there then reaches a socket (WithRTCP) instead of drawing ICMP port
// unreachable. An even port whose odd neighbour is taken by anything else
// is skipped. It returns an error wrapping ErrNoPorts when no pair is free.
// Closing both sockets releases the pair; a Session given the RTCP socket
// (WithRTCP) closes it with its own.
func (r *PortRange) AllocatePair() (rtp, rtcp *net.UDPConn, err error) {
	for range r.count {
		rtp, err := r.Allocate()
		if err != nil {
			return nil, nil, err
		}
		addr := rtp.LocalAddr().(*net.UDPAddr).AddrPort()
		rtcp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr.Addr(), addr.Port()+1)))
		if err == nil {
			return rtp, rtcp, nil
		}
		rtp.Close()
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("media: bind RTCP port: %w", err)
		}
	}
	return nil, nil, fmt.Errorf("%w: every RTCP port of %s:%d-%d is taken", ErrNoPorts, r.ip, r.first, r.first+2*(r.count-1))
}
