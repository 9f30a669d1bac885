package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func parse(t testing.TB, b []byte) rtp.Packet {
	t.Helper()
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		t.Fatalf("%x: %v", b, err)
	}
	return p
}

// expectRelayed reads the next datagram at c, from from, and checks that it
// is want relayed toward the caller: the header rewritten (SSRC, sequence
// number, timestamp, marker added), everything else as sent. It returns the
// packet as received.
func expectRelayed(t *testing.T, c *net.UDPConn, from netip.AddrPort, want []byte) rtp.Packet {
	t.Helper()
	buf := make([]byte, maxDatagram)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, src, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("waiting for %x: %v", want, err)
	}
	if src != from {
		t.Errorf("datagram from %v, want %v", src, from)
	}
	if n != len(want) || !bytes.Equal(buf[rtpHeaderSize:n], want[rtpHeaderSize:]) || buf[0] != want[0] || buf[1]&0x7F != want[1]&0x7F {
		t.Fatalf("got  %x\nwant %x, header aside", buf[:n], want)
	}
	got := parse(t, buf[:n])
	if w := parse(t, want); w.Marker && !got.Marker {
		t.Errorf("marker of %x lost", want)
	}
	return got
}

// playFrames plays a prompt of n frames on s and reads its packets at peer.
func playFrames(t *testing.T, s *Session, peer *net.UDPConn, n int) []rtp.Packet {
	t.Helper()
	p := NewPrompt("test", "beep", tone(time.Duration(n)*frameDuration))
	if err := Play(context.Background(), s, p, PCMU); err != nil {
		t.Fatal(err)
	}
	out := make([]rtp.Packet, n)
	buf := make([]byte, maxDatagram)
	for i := range out {
		peer.SetReadDeadline(time.Now().Add(2 * time.Second))
		m, _, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("prompt packet %d: %v", i, err)
		}
		out[i] = parse(t, slices.Clone(buf[:m]))
	}
	return out
}

// next checks that p continues the caller's stream after prev: same SSRC,
// the next sequence number, and a timestamp advanced by the previous packet's
// samples and the wall clock gap, with the marker bit set when it starts a
// talkspurt. The gap may count one frame less: audio that starts while the
// stream's previous packet still plays is stamped after it.
func next(t *testing.T, prev, p rtp.Packet, gap time.Duration, talkspurt bool) {
	t.Helper()
	if p.SSRC != prev.SSRC || p.SequenceNumber != prev.SequenceNumber+1 {
		t.Errorf("SSRC %x seq %d after SSRC %x seq %d: not one stream", p.SSRC, p.SequenceNumber, prev.SSRC, prev.SequenceNumber)
	}
	if p.Marker != talkspurt {
		t.Errorf("seq %d: marker %v, want %v", p.SequenceNumber, p.Marker, talkspurt)
	}
	min := uint32(len(prev.Payload)) + uint32(max(gap-frameDuration, 0)*ClockRate/time.Second)
	if d := p.Timestamp - prev.Timestamp; int32(d) < int32(min) || d > min+ClockRate/2 {
		t.Errorf("seq %d: timestamp +%d after +%v of silence, want +%d to +%d", p.SequenceNumber, d, gap, min, min+ClockRate/2)
	}
}

// The caller hears the prompts and the meeting as one stream: the relay
// continues the stream the prompts used, marker on its first packet, and an
// RFC 4733 event's packets keep one timestamp.
func TestRelayContinuesCallersStream(t *testing.T) {
	carrier, lk := listen(t), listen(t)
	a, b := NewSession(listen(t), addrOf(carrier)), NewSession(listen(t), addrOf(lk))
	prompt := playFrames(t, a, carrier, 3)
	const gap = 30 * time.Millisecond
	time.Sleep(gap)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Relay(ctx, a, b)

	down := callPackets(t, 0x11BE)
	prev := prompt[len(prompt)-1]
	var got []rtp.Packet
	for i, w := range down {
		send(t, lk, b.LocalAddr(), w)
		p := expectRelayed(t, carrier, a.LocalAddr(), w)
		if i == 0 {
			next(t, prev, p, gap, true)
		} else if p.SSRC != a.SSRC() || p.SequenceNumber != prev.SequenceNumber+1 {
			t.Errorf("packet %d: SSRC %x seq %d after seq %d", i, p.SSRC, p.SequenceNumber, prev.SequenceNumber)
		}
		got = append(got, p)
		prev = p
	}
	// One offset for every timestamp: the event's five packets share one,
	// and the audio around it keeps its spacing.
	off := got[0].Timestamp - parse(t, down[0]).Timestamp
	for i, w := range down {
		if d := got[i].Timestamp - parse(t, w).Timestamp; d != off {
			t.Errorf("packet %d: timestamp offset %d, want %d", i, d, off)
		}
	}
	if got[1].Marker != true || got[2].Marker {
		t.Error("the event's own marker bits were not kept")
	}
}

// bridgedCall is a relay between a caller's leg a and LiveKit's leg b.
type bridgedCall struct {
	carrier, lk *net.UDPConn
	a, b        *Session
	stats       chan RelayStats
}

func bridge(t *testing.T) *bridgedCall {
	t.Helper()
	carrier, lk := listen(t), listen(t)
	c := &bridgedCall{carrier: carrier, lk: lk, stats: make(chan RelayStats, 1)}
	c.a, c.b = NewSession(listen(t), addrOf(carrier)), NewSession(listen(t), addrOf(lk))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { c.stats <- Relay(ctx, c.a, c.b) }()
	t.Cleanup(func() { cancel(); <-c.stats })
	return c
}

// down sends an audio packet from LiveKit and returns it as the caller got it.
func (c *bridgedCall) down(t *testing.T, seq uint16, ts, ssrc uint32) rtp.Packet {
	t.Helper()
	w := audioPacket(t, seq, ts, ssrc)
	send(t, c.lk, c.b.LocalAddr(), w)
	return expectRelayed(t, c.carrier, c.a.LocalAddr(), w)
}

func audioPacket(t testing.TB, seq uint16, ts, ssrc uint32) []byte {
	return marshal(t, &rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc},
		Payload: bytes.Repeat([]byte{byte(seq)}, FrameSamples),
	})
}

// lkBarrier returns once the relay has handled every datagram LiveKit sent:
// it sends one from a stranger to b and waits until b has dropped it.
func (c *bridgedCall) lkBarrier(t *testing.T) {
	t.Helper()
	want := c.b.Foreign() + 1
	send(t, listen(t), c.b.LocalAddr(), audioPacket(t, 1, 1, 1))
	for deadline := time.Now().Add(2 * time.Second); c.b.Foreign() < want; {
		if time.Now().After(deadline) {
			t.Fatal("the relay did not read the stranger's datagram")
		}
		time.Sleep(time.Millisecond)
	}
}

// A prompt played to a bridged caller between PauseRelay and ResumeRelay
// continues the stream, and so does the meeting after it: one SSRC,
// consecutive sequence numbers, timestamps that follow the wall clock,
// marker bits at each switch. LiveKit's packets in between are dropped.
func TestRelayPauseForPrompt(t *testing.T) {
	c := bridge(t)
	const ssrc = 0x11BE
	p1 := c.down(t, 500, 9000, ssrc)
	p2 := c.down(t, 501, 9160, ssrc)
	heard := time.Now() // p2 arrived before
	next(t, p1, p2, 0, false)

	c.a.PauseRelay()
	for seq := uint16(502); seq < 505; seq++ {
		send(t, c.lk, c.b.LocalAddr(), audioPacket(t, seq, 9160+160*uint32(seq-501), ssrc))
	}
	c.lkBarrier(t)
	start := time.Now()
	prompt := playFrames(t, c.a, c.carrier, 4)
	next(t, p2, prompt[0], start.Sub(heard), true)
	for i := 1; i < len(prompt); i++ {
		next(t, prompt[i-1], prompt[i], 0, false)
	}
	const gap = 40 * time.Millisecond
	time.Sleep(gap)
	c.a.ResumeRelay()
	p3 := c.down(t, 505, 9960, ssrc)
	next(t, prompt[len(prompt)-1], p3, gap, true)
	next(t, p3, c.down(t, 506, 10120, ssrc), 0, false)

	c.b.Close()
	st := <-c.stats
	c.stats <- st
	if st.BtoA.Packets != 4 || st.BtoA.Paused != 3 {
		t.Errorf("stats %+v, want 4 packets and 3 paused", st.BtoA)
	}
}

// LiveKit's own gaps and reordering reach the caller as they are, and the
// stream goes on from the highest sequence number sent.
func TestRelayKeepsGapsAndOrder(t *testing.T) {
	c := bridge(t)
	const ssrc = 7
	base := c.down(t, 10, 1600, ssrc)
	for _, seq := range []uint16{11, 13, 12} {
		p := c.down(t, seq, 1600+160*uint32(seq-10), ssrc)
		if p.SequenceNumber != base.SequenceNumber+seq-10 || p.Timestamp != base.Timestamp+160*uint32(seq-10) {
			t.Errorf("LiveKit's seq %d reached the caller as seq %d ts %d (base %d, %d)", seq, p.SequenceNumber, p.Timestamp, base.SequenceNumber, base.Timestamp)
		}
	}
	c.a.PauseRelay()
	prompt := playFrames(t, c.a, c.carrier, 1)
	if prompt[0].SequenceNumber != base.SequenceNumber+4 || !prompt[0].Marker {
		t.Errorf("prompt seq %d marker %v after relayed seq %d…%d", prompt[0].SequenceNumber, prompt[0].Marker, base.SequenceNumber, base.SequenceNumber+3)
	}
}

// LiveKit starting a new stream (another SSRC) and the caller's hold both
// restart the splice: the caller's stream goes on, with the marker bit.
func TestRelayResplices(t *testing.T) {
	c := bridge(t)
	p1 := c.down(t, 100, 5000, 1)
	p2 := c.down(t, 40000, 123456789, 2) // LiveKit's new stream
	next(t, p1, p2, 0, true)
	p3 := c.down(t, 40001, 123456789+160, 2)
	next(t, p2, p3, 0, false)

	c.a.SetHold(true)
	send(t, c.lk, c.b.LocalAddr(), audioPacket(t, 40002, 123456789+320, 2))
	c.lkBarrier(t)
	c.a.SetHold(false)
	p4 := c.down(t, 40003, 123456789+480, 2)
	next(t, p3, p4, 0, true)
	if p4.SSRC != c.a.SSRC() {
		t.Errorf("SSRC %x, want the caller session's %x", p4.SSRC, c.a.SSRC())
	}
}

func TestPayloadLen(t *testing.T) {
	for i, w := range callPackets(t, 3) {
		if got, want := payloadLen(w), len(parse(t, w).Payload); got != want {
			t.Errorf("packet %d: payloadLen %d, want %d", i, got, want)
		}
	}
}

// BenchmarkSpliceRewrite is the cost the rewrite adds to a packet relayed
// toward the caller (the syscalls aside, see BenchmarkRelayPacket).
func BenchmarkSpliceRewrite(b *testing.B) {
	s := NewSession(listen(b), netip.AddrPort{})
	wire := callPackets(b, 1)[0]
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint16(wire[2:4], uint16(i))
		binary.BigEndian.PutUint32(wire[4:8], uint32(i)*FrameSamples)
		binary.BigEndian.PutUint32(wire[8:12], 1)
		s.out.relay(wire, s.samples(wire), now)
	}
}
