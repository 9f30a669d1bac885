package sipgate

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/pion/rtp"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// BenchmarkIVRPacketPath measures what one received RTP packet costs a call in the IVR: the datagram read
// by the call's session (parse, source latch, LastReceived) and, for telephone-events, the DTMF receiver
// (call.takeEvent), over real loopback sockets. "audio" is PCMU, what a caller mostly sends;
// "event" is RFC 4733 key presses, six packets per key, a new key every six; "inband" is audio through the
// in-band key detector, for a caller without telephone-event. Expect 0 allocs/op.
func BenchmarkIVRPacketPath(b *testing.B) {
	for _, kind := range []string{"audio", "event", "inband"} {
		b.Run(kind, func(b *testing.B) {
			benchPacketPath(b, kind == "event", kind == "inband")
		})
	}
}

func benchPacketPath(b *testing.B, events, tones bool) {
	lo := netip.MustParseAddr("127.0.0.1")
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
	if err != nil {
		b.Fatal(err)
	}
	peer, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	c := &call{
		media: media.NewSession(conn, peer.LocalAddr().(*net.UDPAddr).AddrPort()),
		recv:  dtmf.NewReceiver(dtmf.ReceiverConfig{}),
	}
	c.first.Codec, c.first.PT = media.PCMU, 0
	if !tones {
		c.evPT.Store(101)
	}
	var in inband
	defer c.media.Close()
	defer c.recv.Close()
	dst := conn.LocalAddr().(*net.UDPAddr).AddrPort()

	// Pre-marshalled packets: per key 3 packets, then 3 end packets, on the key's own timestamp.
	const perKey = 6
	var pkts [][]byte
	for k := range 12 {
		for i := range perKey {
			p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7, SequenceNumber: uint16(k*perKey + i),
				Timestamp: uint32(k) * 1600}}
			if events {
				end := byte(0)
				if i >= 3 {
					end = 0x80
				}
				dur := uint16(160 * min(i+1, 4))
				p.PayloadType, p.Payload = 101, []byte{byte(k), end | 10, byte(dur >> 8), byte(dur)}
			} else {
				p.PayloadType, p.Payload = 0, make([]byte, 160)
				p.Timestamp += uint32(i) * 160
			}
			raw, err := p.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			pkts = append(pkts, raw)
		}
	}

	ctx := context.Background()
	keys := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := peer.WriteToUDPAddrPort(pkts[i%len(pkts)], dst); err != nil {
			b.Fatal(err)
		}
		p, err := c.media.ReadPacket(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if tones {
			in.feed(c, p)
		} else {
			c.takeEvent(p)
		}
		select {
		case <-c.recv.Presses():
			keys++
		default:
		}
	}
	b.StopTimer()
	if events && b.N >= len(pkts) && keys == 0 {
		b.Fatalf("%d event packets made no key press", b.N)
	}
}
