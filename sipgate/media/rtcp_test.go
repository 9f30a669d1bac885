package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// testInterval makes reports come every 40-120 ms instead of seconds.
const testInterval = 100 * time.Millisecond

// rtcpPeer is a caller with an RTP and an RTCP socket on ports of its own.
type rtcpPeer struct {
	rtp, rtcp *net.UDPConn
	ssrc      uint32
}

func newRTCPPeer(t *testing.T) *rtcpPeer {
	return &rtcpPeer{rtp: listen(t), rtcp: listen(t), ssrc: 0xCA11E4}
}

// rtcpSessionFor returns a session with RTCP on a socket of its own,
// reporting to the peer's RTCP socket, and a goroutine reading its RTP as a
// call would, until the test ends.
func rtcpSessionFor(t *testing.T, p *rtcpPeer, opts ...SessionOption) (*Session, *net.UDPConn) {
	t.Helper()
	conn := listen(t)
	opts = append([]SessionOption{WithRTCP(conn, addrOf(p.rtcp)), withRTCPInterval(testInterval)}, opts...)
	s := NewSession(listen(t), addrOf(p.rtp), opts...)
	t.Cleanup(func() { s.Close() })
	readAll(t, s)
	return s, conn
}

// readAll reads s until the test ends, failing on anything but RTP.
func readAll(t *testing.T, s *Session) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for {
			p, err := s.ReadPacket(ctx)
			if err != nil {
				return
			}
			if p.PayloadType >= 64 && p.PayloadType <= 95 {
				t.Errorf("RTCP handed to the RTP reader: %v", p)
			}
		}
	}()
}

func (p *rtcpPeer) sendRTP(t *testing.T, to netip.AddrPort, seqs ...uint16) {
	t.Helper()
	for _, seq := range seqs {
		send(t, p.rtp, to, marshal(t, &rtp.Packet{
			Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * FrameSamples, SSRC: p.ssrc},
			Payload: make([]byte, FrameSamples),
		}))
	}
}

func sendRTCP(t *testing.T, from *net.UDPConn, to netip.AddrPort, pkts ...rtcp.Packet) {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	send(t, from, to, b)
}

// nextReport reads compound RTCP at c until one satisfies ok, and returns
// its packets.
func nextReport(t *testing.T, c *net.UDPConn, ok func([]rtcp.Packet) bool) []rtcp.Packet {
	t.Helper()
	buf := make([]byte, maxDatagram)
	for deadline := time.Now().Add(3 * time.Second); ; {
		c.SetReadDeadline(deadline)
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no report: %v", err)
		}
		if !isRTCP(buf[:n]) {
			continue // RTP, on a multiplexed port
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			t.Fatalf("report %x does not parse with pion/rtcp: %v", buf[:n], err)
		}
		if ok(pkts) {
			return pkts
		}
	}
}

func cname(pkts []rtcp.Packet) string {
	for _, p := range pkts {
		if sd, ok := p.(*rtcp.SourceDescription); ok {
			for _, c := range sd.Chunks {
				for _, it := range c.Items {
					if it.Type == rtcp.SDESCNAME {
						return it.Text
					}
				}
			}
		}
	}
	return ""
}

// The session reports on the caller's stream (losses, highest sequence
// number, LSR of the caller's SR) in an SR of its own stream, with a CNAME.
func TestRTCPSenderReport(t *testing.T) {
	peer := newRTCPPeer(t)
	s, conn := rtcpSessionFor(t, peer)
	peer.sendRTP(t, s.LocalAddr(), 1, 2, 3, 4, 7, 9, 8, 10) // 5 and 6 lost, 8 late
	ntp := ntpTime(time.Now())
	sendRTCP(t, peer.rtcp, addrOf(conn), &rtcp.SenderReport{SSRC: peer.ssrc, NTPTime: ntp, RTPTime: 1600, PacketCount: 8, OctetCount: 1280})
	for range 3 {
		if err := s.WriteFrame(0, make([]byte, FrameSamples), FrameSamples); err != nil {
			t.Fatal(err)
		}
	}
	pkts := nextReport(t, peer.rtcp, func(p []rtcp.Packet) bool {
		sr, ok := p[0].(*rtcp.SenderReport)
		return ok && len(sr.Reports) == 1 && sr.Reports[0].LastSenderReport != 0
	})
	sr := pkts[0].(*rtcp.SenderReport)
	if sr.SSRC != s.SSRC() || sr.PacketCount != 3 || sr.OctetCount != 3*FrameSamples {
		t.Errorf("SR from %x: %d packets, %d octets; want %x, 3, 480", sr.SSRC, sr.PacketCount, sr.OctetCount, s.SSRC())
	}
	rr := sr.Reports[0]
	if rr.SSRC != peer.ssrc || rr.TotalLost != 2 || rr.LastSequenceNumber != 10 || rr.LastSenderReport != ntpMiddle(ntp) {
		t.Errorf("report block %+v: want SSRC %x, 2 lost, highest 10, LSR %x", rr, peer.ssrc, ntpMiddle(ntp))
	}
	if d := fromNTPShort(rr.Delay); d <= 0 || d > 3*time.Second {
		t.Errorf("DLSR %v", d)
	}
	if c := cname(pkts); len(c) != 24 {
		t.Errorf("CNAME %q", c)
	}
	st := s.RTCPStats()
	if st.Reports != 1 || st.LastReport.IsZero() || st.Received != 8 || st.Lost != 2 {
		t.Errorf("stats %+v", st)
	}
}

// The peer's receiver report on our stream shows in RTCPStats, with the
// round-trip time from our SR's NTP time (LSR) and its delay (DLSR).
func TestRTCPPeerReport(t *testing.T) {
	peer := newRTCPPeer(t)
	s, conn := rtcpSessionFor(t, peer)
	if err := s.WriteFrame(0, make([]byte, FrameSamples), FrameSamples); err != nil {
		t.Fatal(err)
	}
	pkts := nextReport(t, peer.rtcp, func(p []rtcp.Packet) bool { _, ok := p[0].(*rtcp.SenderReport); return ok })
	ours := pkts[0].(*rtcp.SenderReport)
	const hold = 30 * time.Millisecond
	time.Sleep(hold) // the peer's processing delay, which DLSR reports
	sendRTCP(t, peer.rtcp, addrOf(conn),
		&rtcp.ReceiverReport{SSRC: peer.ssrc, Reports: []rtcp.ReceptionReport{{
			SSRC: s.SSRC(), FractionLost: 64, TotalLost: 12, LastSequenceNumber: 99, Jitter: 80,
			LastSenderReport: ntpMiddle(ours.NTPTime), Delay: uint32(hold * 65536 / time.Second),
		}}},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: peer.ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "phone"}}}}})
	st := waitStats(t, s, func(st RTCPStats) bool { return st.Reports > 0 })
	if st.FractionLost != 0.25 || st.CumulativeLost != 12 || st.Jitter != 10*time.Millisecond {
		t.Errorf("peer's view: %+v", st)
	}
	if st.RTT < 0 || st.RTT > 500*time.Millisecond {
		t.Errorf("RTT %v", st.RTT)
	}
}

func waitStats(t *testing.T, s *Session, ok func(RTCPStats) bool) RTCPStats {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if st := s.RTCPStats(); ok(st) || time.Now().After(deadline) {
			return st
		}
	}
}

// With a=rtcp-mux, RTCP shares the RTP port both ways (RFC 5761): the
// peer's reaches the session, never its RTP reader; ours goes to the RTP
// peer. RTCP from anyone else on the port is not taken.
func TestRTCPMux(t *testing.T) {
	peer, stranger := newRTCPPeer(t), listen(t)
	s := NewSession(listen(t), addrOf(peer.rtp), WithRTCPMux(), withRTCPInterval(testInterval))
	t.Cleanup(func() { s.Close() })
	readAll(t, s)
	peer.sendRTP(t, s.LocalAddr(), 1, 2)
	xr := &rtcp.ExtendedReport{SenderSSRC: peer.ssrc, Reports: []rtcp.ReportBlock{&rtcp.ReceiverReferenceTimeReportBlock{NTPTimestamp: 1}}}
	sendRTCP(t, peer.rtp, s.LocalAddr(), &rtcp.ReceiverReport{SSRC: peer.ssrc}, xr)
	sendRTCP(t, peer.rtp, s.LocalAddr(), xr) // reduced-size (RFC 5506), packet type 207
	sendRTCP(t, stranger, s.LocalAddr(), &rtcp.ReceiverReport{SSRC: peer.ssrc})
	peer.sendRTP(t, s.LocalAddr(), 3)
	st := waitStats(t, s, func(st RTCPStats) bool { return st.Received == 3 })
	if st.Reports != 2 || st.Received != 3 {
		t.Errorf("stats %+v: want the peer's 2 RTCP datagrams and 3 RTP packets", st)
	}
	pkts := nextReport(t, peer.rtp, func(p []rtcp.Packet) bool { _, ok := p[0].(*rtcp.ReceiverReport); return ok })
	if rr := pkts[0].(*rtcp.ReceiverReport); rr.SSRC != s.SSRC() || len(rr.Reports) != 1 || rr.Reports[0].SSRC != peer.ssrc {
		t.Errorf("report %+v", rr)
	}
}

// Without RTCP, RTCP on the RTP port is dropped as before, whatever its
// packet type, and never reaches the RTP reader.
func TestRTCPOffDropsMuxedRTCP(t *testing.T) {
	s, peer := newPair(t)
	b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ExtendedReport{SenderSSRC: 1}, &rtcp.TransportLayerNack{SenderSSRC: 1}})
	peer.WriteToUDPAddrPort(b, s.LocalAddr())
	sendRTP(t, peer, s.LocalAddr(), 1, []byte("ok"))
	p, err := readWithin(t, s, time.Second)
	if err != nil || string(p.Payload) != "ok" {
		t.Fatalf("got %v, %v", p, err)
	}
	if (s.RTCPStats() != RTCPStats{}) {
		t.Errorf("stats without RTCP: %+v", s.RTCPStats())
	}
}

// The RTCP address follows the peer's RTCP source when the packet's sender
// is the peer's RTP SSRC (a NAT); a stranger's RTCP is dropped.
func TestRTCPLatch(t *testing.T) {
	peer, stranger := newRTCPPeer(t), listen(t)
	sdpRTCP := listen(t) // what the SDP said: the phone's private address
	conn := listen(t)
	s := NewSession(listen(t), addrOf(peer.rtp), WithRTCP(conn, addrOf(sdpRTCP)), withRTCPInterval(testInterval))
	t.Cleanup(func() { s.Close() })
	readAll(t, s)
	nextReport(t, sdpRTCP, func([]rtcp.Packet) bool { return true })
	if st := s.RTCPStats(); st.Received != 0 || st.Lost != 0 || st.Reports != 0 {
		t.Errorf("stats before any packet: %+v", st)
	}
	peer.sendRTP(t, s.LocalAddr(), 1)
	waitStats(t, s, func(st RTCPStats) bool { return st.Received == 1 })
	sendRTCP(t, stranger, addrOf(conn), &rtcp.ReceiverReport{SSRC: 0xBAD})
	sendRTCP(t, peer.rtcp, addrOf(conn), &rtcp.ReceiverReport{SSRC: peer.ssrc})
	nextReport(t, peer.rtcp, func([]rtcp.Packet) bool { return true })
	if st := s.RTCPStats(); st.Reports != 1 || st.Foreign != 1 {
		t.Errorf("stats %+v: want the peer's report taken, the stranger's dropped", st)
	}
}

// Reports go on while the peer holds the stream (RFC 3264 §5.1), and Close
// says BYE.
func TestRTCPHoldAndBye(t *testing.T) {
	peer := newRTCPPeer(t)
	s, _ := rtcpSessionFor(t, peer)
	s.SetHold(true)
	nextReport(t, peer.rtcp, func([]rtcp.Packet) bool { return true })
	s.Close()
	nextReport(t, peer.rtcp, func(p []rtcp.Packet) bool {
		bye, ok := p[len(p)-1].(*rtcp.Goodbye)
		return ok && len(bye.Sources) == 1 && bye.Sources[0] == s.SSRC()
	})
	if _, err := s.ReadPacket(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
}

// Nothing goes to an unspecified address (c=0.0.0.0 hold).
func TestRTCPUnspecifiedRemote(t *testing.T) {
	conn := listen(t)
	s := NewSession(listen(t), netip.MustParseAddrPort("0.0.0.0:4000"), WithRTCP(conn, netip.MustParseAddrPort("0.0.0.0:4001")), withRTCPInterval(time.Millisecond))
	time.Sleep(20 * time.Millisecond)
	s.Close()
}

// Reading with RTCP on allocates nothing per RTP packet.
func TestRTCPReadAllocs(t *testing.T) {
	peer := newRTCPPeer(t)
	s := NewSession(listen(t), addrOf(peer.rtp), WithRTCP(listen(t), addrOf(peer.rtcp)), WithRTCPMux(), withRTCPInterval(time.Hour))
	t.Cleanup(func() { s.Close() })
	wire := marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)})
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		wire[3]++ // the next sequence number
		send(t, peer.rtp, s.LocalAddr(), wire)
		if _, err := s.ReadPacket(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

func BenchmarkReadPacketRTCP(b *testing.B) {
	peer := listen(b)
	s := NewSession(listen(b), addrOf(peer), WithRTCP(listen(b), addrOf(peer)))
	b.Cleanup(func() { s.Close() })
	wire := marshal(b, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		wire[3]++
		peer.WriteToUDPAddrPort(wire, s.LocalAddr())
		if _, err := s.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
