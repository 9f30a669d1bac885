package media

import (
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// RTCP waits on the socket until the next report, but counts from the
// kernel's arrival time: the round-trip time of a peer that answers our SR
// at once is the loopback's, not the wait.
func TestRTCPRoundTripAtArrival(t *testing.T) {
	peer := newRTCPPeer(t)
	const interval = time.Second // reports 0.4 to 1.2 s apart
	s, conn := rtcpSessionFor(t, peer, withRTCPInterval(interval))
	if err := s.WriteFrame(0, make([]byte, FrameSamples), FrameSamples); err != nil {
		t.Fatal(err)
	}
	pkts := nextReport(t, peer.rtcp, func(p []rtcp.Packet) bool { _, ok := p[0].(*rtcp.SenderReport); return ok })
	ours := pkts[0].(*rtcp.SenderReport)
	sent := time.Now()
	sendRTCP(t, peer.rtcp, addrOf(conn), &rtcp.ReceiverReport{SSRC: peer.ssrc, Reports: []rtcp.ReceptionReport{{
		SSRC: s.SSRC(), LastSenderReport: ntpMiddle(ours.NTPTime),
	}}})
	var st RTCPStats
	for deadline := time.Now().Add(3 * time.Second); st.Reports == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		st = s.RTCPStats()
	}
	if st.Reports != 1 {
		t.Fatalf("the peer's report was not taken: %+v", st)
	}
	if taken := time.Since(sent); taken < 100*time.Millisecond {
		t.Logf("taken after %v only: the test proves little this time", taken)
	}
	if st.RTT > 50*time.Millisecond || st.LastReport.After(sent.Add(50*time.Millisecond)) {
		t.Errorf("RTT %v, report stamped %v after it was sent: want the arrival time, not the drain's", st.RTT, st.LastReport.Sub(sent))
	}
}

// A session with RTCP runs no goroutine of its own.
func TestRTCPNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	var ss []*Session
	for range 20 {
		ss = append(ss, NewSession(listen(t), addrOf(listen(t)), WithRTCP(listen(t), addrOf(listen(t)))))
	}
	if n := runtime.NumGoroutine() - before; n > 0 {
		t.Errorf("20 sessions with RTCP run %d goroutines", n)
	}
	for _, s := range ss {
		s.Close()
	}
}
