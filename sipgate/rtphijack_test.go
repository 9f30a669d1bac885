package sipgate

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// An attacker who sprays a call's RTP port before the caller's first packet (with round-robin ports, the
// next call's port was predictable; here it even knows the port from the answer) hears none of the prompts
// and types none of the caller's digits: sipgate accepts media from the address the SDP names. Before the
// change, its first packet latched the session: it got the prompts and its "1234#" was the caller's PIN.
func TestRTPHijackBeforeFirstPacket(t *testing.T) {
	t.Parallel()
	srv := startGateway(t, testCalls)
	ctx := hygieneContext(t)
	u := newUAC(t)
	u.invite(ctx, srv.Addr(), "udp")
	u.answered(ctx)
	attacker, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	seq := uint16(0)
	for _, key := range []byte{1, 2, 3, 4, 11} { // "1234#", RFC 4733, in sequence
		for i := range 6 {
			end := byte(0)
			if i >= 3 {
				end = 0x80
			}
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: i == 0, SequenceNumber: seq,
				Timestamp: 1600 * uint32(key), SSRC: 666}, Payload: []byte{key, end | 10, 0, 160}}).Marshal()
			seq++
			attacker.WriteToUDPAddrPort(b, u.remote)
		}
	}
	if err := u.sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	defer stop()
	go u.audio(actx)
	eventually(t, "the prompt reaches the caller", func() bool { return u.heard.Load() > 10 })
	attacker.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _, err := attacker.ReadFromUDP(make([]byte, 2048)); err == nil {
		t.Errorf("the attacker received %d bytes of the call", n)
	}
	if got := srv.metric(t, `sipgate_dtmf_digits_total{method="rtp"}`); got != "" && got != "0" {
		t.Errorf("%s digits from the attacker reached the IVR", got)
	}
	u.bye(ctx)
	eventually(t, "the attacker's 30 datagrams counted", func() bool {
		return srv.metric(t, "sipgate_rtp_foreign_packets_total") == "30"
	})
}
