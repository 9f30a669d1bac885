package caller

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestPressIsRFC4733 reads what a key press puts on the wire: one packet per 20 ms of the press with the
// marker on the first and the duration growing, then three end packets, all with the event's timestamp;
// audio stops meanwhile and its timestamps skip the event.
func TestPressIsRFC4733(t *testing.T) {
	rec, err := NewRecognizer()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMedia(netip.MustParseAddr("127.0.0.1"), 1, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	gate, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	s := m.open(0x0123456789abcdef)
	s.start(gate.LocalAddr().(*net.UDPAddr).AddrPort(), 96)
	defer s.stop()
	time.Sleep(70 * time.Millisecond) // some audio first
	if _, err := s.press(context.Background(), '#', 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(70 * time.Millisecond) // and after
	s.stop()

	var events, audio []rtp.Packet
	buf := make([]byte, 1500)
	gate.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	for {
		n, err := gate.Read(buf)
		if err != nil {
			break
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatal(err)
		}
		if p.SSRC != s.ssrc {
			t.Fatalf("SSRC %x, want %x", p.SSRC, s.ssrc)
		}
		switch p.PayloadType {
		case 96:
			events = append(events, p)
		case ptPCMU:
			if len(p.Payload) != frameSamples {
				t.Errorf("audio payload of %d bytes", len(p.Payload))
			}
			audio = append(audio, p)
		default:
			t.Errorf("payload type %d", p.PayloadType)
		}
	}
	wantDur := []uint16{160, 320, 480, 480, 480, 480}
	if len(events) != len(wantDur) {
		t.Fatalf("%d event packets, want %d", len(events), len(wantDur))
	}
	for i, p := range events {
		end := p.Payload[1]&0x80 != 0
		dur := uint16(p.Payload[2])<<8 | uint16(p.Payload[3])
		if p.Payload[0] != 11 || dur != wantDur[i] || end != (i >= 3) || p.Marker != (i == 0) || p.Timestamp != events[0].Timestamp {
			t.Errorf("event packet %d: %v %x, want '#' duration %d end %v", i, p.Header, p.Payload, wantDur[i], i >= 3)
		}
	}
	if len(audio) < 4 {
		t.Fatalf("%d audio packets around the key", len(audio))
	}
	for i := 1; i < len(audio); i++ {
		if d := audio[i].Timestamp - audio[i-1].Timestamp; d != frameSamples && d != frameSamples+3*frameSamples {
			t.Errorf("audio timestamp step %d, want %d (or the event's length more)", d, frameSamples)
		}
	}
	if got := s.counts().Sent; got != uint64(len(events)+len(audio)) {
		t.Errorf("sent %d, counted %d on the wire", got, len(events)+len(audio))
	}
}
