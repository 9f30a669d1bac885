package media

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

func TestAllocatePair(t *testing.T) {
	base := testBase()
	r, _ := NewPortRange(loopback, base, base+6) // 4 pairs
	// Something else holds base+3, the RTCP port of base+2: that pair is skipped.
	squatter, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, base+3)))
	if err != nil {
		t.Skipf("port %d busy: %v", base+3, err)
	}
	defer squatter.Close()
	seen := map[int]bool{}
	for {
		rtp, rtcp, err := r.AllocatePair()
		if errors.Is(err, ErrNoPorts) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		defer rtp.Close()
		defer rtcp.Close()
		if port(rtp)%2 != 0 || port(rtcp) != port(rtp)+1 || port(rtp) == int(base)+2 || seen[port(rtp)] {
			t.Fatalf("pair %d/%d: want an even port and the one above it, never base+2, never twice", port(rtp), port(rtcp))
		}
		seen[port(rtp)] = true
	}
	if len(seen) == 0 || len(seen) > 3 {
		t.Fatalf("%d pairs allocated, want 1 to 3", len(seen))
	}
}

// With port+1 bound, a peer sending RTCP there gets no ICMP port
// unreachable (a connected UDP socket reports it as ECONNREFUSED on its next
// call), as it does when nothing listens.
func TestRTCPPortBound(t *testing.T) {
	base := testBase()
	r, _ := NewPortRange(loopback, base, base+100)
	rtp, rtcp, err := r.AllocatePair()
	if err != nil {
		t.Fatal(err)
	}
	defer rtp.Close()
	target := rtcp.LocalAddr().(*net.UDPAddr)
	if refused(t, target) {
		t.Error("RTCP port bound, yet the peer got port unreachable")
	}
	rtcp.Close()
	if !refused(t, target) {
		t.Error("no port unreachable from a closed port: the test proves nothing here")
	}
}

// refused sends a datagram to addr from a connected socket and reports
// whether the kernel relayed an ICMP port unreachable.
func refused(t *testing.T, addr *net.UDPAddr) bool {
	t.Helper()
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{0x80, 201, 0, 1, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = c.Read(make([]byte, 16))
	return errors.Is(err, syscall.ECONNREFUSED)
}
