package media

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// In a bridged call RTCP is terminated on each leg: the caller's SR never
// reaches LiveKit, and each peer gets reports from the leg it talks to,
// about the stream that leg sends and receives.
func TestRelayTerminatesRTCP(t *testing.T) {
	caller, lk := newRTCPPeer(t), newRTCPPeer(t)
	lk.ssrc = 0x11BE
	aRTCP, bRTCP := listen(t), listen(t)
	a := NewSession(listen(t), addrOf(caller.rtp), WithRTCP(aRTCP, addrOf(caller.rtcp)), withRTCPInterval(testInterval))
	b := NewSession(listen(t), addrOf(lk.rtp), WithRTCP(bRTCP, addrOf(lk.rtcp)), withRTCPInterval(testInterval))
	t.Cleanup(func() { a.Close(); b.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	stats := make(chan RelayStats, 1)
	go func() { stats <- Relay(ctx, a, b) }()
	defer func() { cancel(); <-stats }()

	caller.sendRTP(t, a.LocalAddr(), 1, 2, 3)
	lk.sendRTP(t, b.LocalAddr(), 100, 101, 103)
	sendRTCP(t, caller.rtcp, addrOf(aRTCP), &rtcp.SenderReport{SSRC: caller.ssrc, NTPTime: 1 << 32, PacketCount: 3})

	// The caller hears one stream, a's, and a's SR counts what it relayed.
	toCaller := nextReport(t, caller.rtcp, func(p []rtcp.Packet) bool { _, ok := p[0].(*rtcp.SenderReport); return ok })
	sr := toCaller[0].(*rtcp.SenderReport)
	if sr.SSRC != a.SSRC() || sr.PacketCount != 3 || len(sr.Reports) != 1 || sr.Reports[0].SSRC != caller.ssrc || sr.Reports[0].LastSenderReport != ntpMiddle(1<<32) {
		t.Errorf("to the caller: %+v", sr)
	}
	// LiveKit gets b's receiver reports on its stream (one packet lost),
	// never anything from the caller's SSRC.
	toLK := nextReport(t, lk.rtcp, func(p []rtcp.Packet) bool {
		rr, ok := p[0].(*rtcp.ReceiverReport)
		return ok && len(rr.Reports) == 1
	})
	rr := toLK[0].(*rtcp.ReceiverReport)
	if rr.SSRC != b.SSRC() || rr.Reports[0].SSRC != lk.ssrc || rr.Reports[0].TotalLost != 1 || rr.Reports[0].LastSequenceNumber != 103 {
		t.Errorf("to LiveKit: %+v", rr)
	}
	for _, p := range toLK {
		for _, ssrc := range p.DestinationSSRC() {
			if ssrc == caller.ssrc {
				t.Errorf("LiveKit got RTCP about the caller's SSRC: %v", p)
			}
		}
	}
	if st := a.RTCPStats(); st.Reports != 1 {
		t.Errorf("a took %d reports, want the caller's 1", st.Reports)
	}
}

// Relaying with RTCP on both legs allocates nothing per packet either.
func TestRelayRTCPAllocs(t *testing.T) {
	carrier, lk := listen(t), listen(t)
	a := NewSession(listen(t), addrOf(carrier), WithRTCP(listen(t), addrOf(carrier)), withRTCPInterval(time.Hour))
	b := NewSession(listen(t), addrOf(lk), WithRTCPMux(), withRTCPInterval(time.Hour))
	t.Cleanup(func() { a.Close(); b.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Relay(ctx, a, b); close(done) }()
	defer func() { cancel(); <-done }()
	up := marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, FrameSamples)})
	down := marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 2}, Payload: make([]byte, FrameSamples)})
	buf := make([]byte, maxDatagram)
	round := func() {
		up[3]++
		down[3]++
		send(t, carrier, a.LocalAddr(), up)
		send(t, lk, b.LocalAddr(), down)
		for _, c := range []*net.UDPConn{lk, carrier} {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	round()
	if allocs := testing.AllocsPerRun(200, round); allocs != 0 {
		t.Errorf("%v allocations per round trip, want 0", allocs)
	}
}
