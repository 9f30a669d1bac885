package media

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// bridged is a relayed call on loopback: the carrier's socket, the caller's
// leg a, LiveKit's leg b and LiveKit's socket.
type bridged struct {
	carrier, lk *net.UDPConn
	a, b        *Session
	cancel      context.CancelFunc
	stats       chan RelayStats
}

func startRelay(t testing.TB, opts ...RelayOption) *bridged {
	t.Helper()
	carrier, lk := listen(t), listen(t)
	br := &bridged{
		carrier: carrier, lk: lk,
		a:     NewSession(listen(t), addrOf(carrier)),
		b:     NewSession(listen(t), addrOf(lk)),
		stats: make(chan RelayStats, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	br.cancel = cancel
	go func() { br.stats <- Relay(ctx, br.a, br.b, opts...) }()
	t.Cleanup(func() {
		cancel()
		<-br.stats
	})
	return br
}

// stop cancels the relay and returns its stats.
func (br *bridged) stop(t *testing.T) RelayStats {
	t.Helper()
	br.cancel()
	return br.wait(t)
}

// wait returns the relay's stats once it has ended by itself.
func (br *bridged) wait(t *testing.T) RelayStats {
	t.Helper()
	select {
	case st := <-br.stats:
		br.stats <- st // for the cleanup
		return st
	case <-time.After(2 * time.Second):
		t.Fatal("Relay did not return")
		return RelayStats{}
	}
}

func marshal(t testing.TB, p *rtp.Packet) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// callPackets is what a leg sends: a talkspurt's first audio packet (marker),
// then the key 5 as RFC 4733 §2.5 sends it (marker on the first event packet,
// three end packets with one timestamp), audio with CSRCs, a header
// extension and padding, and audio on a dynamic payload type.
func callPackets(t testing.TB, ssrc uint32) [][]byte {
	t.Helper()
	h := func(m bool, pt uint8, seq uint16, ts uint32) rtp.Header {
		return rtp.Header{Version: 2, Marker: m, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}
	}
	audio := bytes.Repeat([]byte{0xD5}, FrameSamples)
	wires := [][]byte{
		marshal(t, &rtp.Packet{Header: h(true, 0, 100, 8000), Payload: audio}),
		marshal(t, &rtp.Packet{Header: h(true, 101, 101, 8160), Payload: []byte{5, 10, 0, 160}}),
		marshal(t, &rtp.Packet{Header: h(false, 101, 102, 8160), Payload: []byte{5, 10, 1, 64}}),
	}
	for seq := uint16(103); seq < 106; seq++ { // E bit, same duration (§2.5.1.4)
		wires = append(wires, marshal(t, &rtp.Packet{Header: h(false, 101, seq, 8160), Payload: []byte{5, 0x80 | 10, 1, 224}}))
	}
	rich := h(false, 0, 106, 8640)
	rich.CSRC = []uint32{1, 2}
	if err := rich.SetExtension(1, []byte{0xAA, 0xBB}); err != nil {
		t.Fatal(err)
	}
	rich.Padding, rich.PaddingSize = true, 3
	wires = append(wires,
		marshal(t, &rtp.Packet{Header: rich, Payload: audio}),
		marshal(t, &rtp.Packet{Header: h(false, 110, 107, 8800), Payload: audio}))
	return wires
}

// expect reads the next datagram at c and checks it is want, from from.
func expect(t *testing.T, c *net.UDPConn, from netip.AddrPort, want []byte) {
	t.Helper()
	expectInto(t, make([]byte, maxDatagram), c, from, want)
}

// expectInto is expect reading into buf, for a caller counting allocations.
func expectInto(t *testing.T, buf []byte, c *net.UDPConn, from netip.AddrPort, want []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, src, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("waiting for %x: %v", want, err)
	}
	if src != from {
		t.Errorf("datagram from %v, want %v", src, from)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("got  %x\nwant %x", buf[:n], want)
	}
}

func send(t testing.TB, from *net.UDPConn, to netip.AddrPort, b []byte) {
	t.Helper()
	if _, err := from.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}

func sum(wires [][]byte) (n uint64) {
	for _, w := range wires {
		n += uint64(len(w))
	}
	return n
}

func TestRelayBothWays(t *testing.T) {
	br := startRelay(t)
	idle := br.a.LastReceived()
	up, down := callPackets(t, 0xCA11E4), callPackets(t, 0x11BE)
	for i := range up {
		send(t, br.carrier, br.a.LocalAddr(), up[i])
		send(t, br.lk, br.b.LocalAddr(), down[i])
		// Each leg sends from its own socket: symmetric RTP for both peers.
		expect(t, br.lk, br.b.LocalAddr(), up[i])
		expectRelayed(t, br.carrier, br.a.LocalAddr(), down[i])
	}
	if !br.a.LastReceived().After(idle) || !br.b.LastReceived().After(idle) {
		t.Error("LastReceived not refreshed")
	}
	st := br.stop(t)
	want := FlowStats{Packets: uint64(len(up)), Bytes: sum(up)}
	if st.AtoB != want || st.BtoA != want {
		t.Errorf("stats %+v, want %+v both ways", st, want)
	}
}

// WithEvents shows the caller's telephone-events, and only them, to the
// tap, as they are; every packet still goes to LiveKit unchanged.
func TestRelayEventTap(t *testing.T) {
	type seen struct {
		ssrc, ts uint32
		payload  string
	}
	got := make(chan seen, 16)
	br := startRelay(t, WithEvents(101, func(ssrc, ts uint32, payload []byte) {
		got <- seen{ssrc, ts, string(payload)}
	}))
	up, down := callPackets(t, 0xCA11E4), callPackets(t, 0x11BE)
	for i := range up {
		send(t, br.carrier, br.a.LocalAddr(), up[i])
		expect(t, br.lk, br.b.LocalAddr(), up[i])
		send(t, br.lk, br.b.LocalAddr(), down[i]) // LiveKit's events are not the caller's keys
		expectRelayed(t, br.carrier, br.a.LocalAddr(), down[i])
	}
	br.stop(t)
	close(got)
	var n int
	for ev := range got {
		n++
		if ev.ssrc != 0xCA11E4 || ev.ts != 8160 || len(ev.payload) != 4 || ev.payload[0] != 5 {
			t.Errorf("tap saw %+v", ev)
		}
	}
	if n != 5 {
		t.Errorf("tap saw %d packets, want the 5 telephone-events", n)
	}
}

// Once a leg has latched onto its peer, datagrams from elsewhere are dropped
// and counted, and the peer's stream goes on.
func TestRelayDropsForeignSource(t *testing.T) {
	br := startRelay(t)
	stranger := listen(t)
	wires := callPackets(t, 1)
	send(t, br.carrier, br.a.LocalAddr(), wires[0])
	expect(t, br.lk, br.b.LocalAddr(), wires[0])
	for _, w := range wires[1:4] {
		send(t, stranger, br.a.LocalAddr(), w)
	}
	send(t, br.carrier, br.a.LocalAddr(), wires[4])
	expect(t, br.lk, br.b.LocalAddr(), wires[4]) // the next datagram, not a stranger's
	st := br.stop(t)
	if st.AtoB.Packets != 2 || st.AtoB.Dropped != 3 || br.a.Foreign() != 3 {
		t.Errorf("stats %+v, Foreign %d; want 2 packets, 3 dropped", st.AtoB, br.a.Foreign())
	}
}

func TestRelayCancel(t *testing.T) {
	br := startRelay(t)
	w := callPackets(t, 1)[0]
	send(t, br.carrier, br.a.LocalAddr(), w)
	expect(t, br.lk, br.b.LocalAddr(), w)
	br.stop(t)
	// The sessions stay usable: a new context clears the relay's deadline.
	send(t, br.carrier, br.a.LocalAddr(), w)
	if _, err := readWithin(t, br.a, time.Second); err != nil {
		t.Fatalf("read after the relay: %v", err)
	}
}

func TestRelayEndsWhenASessionCloses(t *testing.T) {
	for _, leg := range []string{"a", "b"} {
		t.Run(leg, func(t *testing.T) {
			br := startRelay(t)
			s := map[string]*Session{"a": br.a, "b": br.b}[leg]
			s.Close()
			br.wait(t)
		})
	}
}

// A re-INVITE moves either leg's peer while packets flow: the relay sends to
// the new address at once and latches onto the new source.
func TestRelayFollowsSetRemote(t *testing.T) {
	br := startRelay(t)
	wires := callPackets(t, 1)
	send(t, br.lk, br.b.LocalAddr(), wires[0])
	expectRelayed(t, br.carrier, br.a.LocalAddr(), wires[0])

	lk2, carrier2 := listen(t), listen(t)
	br.b.SetRemote(addrOf(lk2))
	send(t, br.carrier, br.a.LocalAddr(), wires[1])
	expect(t, lk2, br.b.LocalAddr(), wires[1])
	send(t, lk2, br.b.LocalAddr(), wires[2]) // latches b onto lk2
	expectRelayed(t, br.carrier, br.a.LocalAddr(), wires[2])
	send(t, br.lk, br.b.LocalAddr(), wires[3]) // the old peer is a stranger now

	br.a.SetRemote(addrOf(carrier2))
	send(t, lk2, br.b.LocalAddr(), wires[4])
	expectRelayed(t, carrier2, br.a.LocalAddr(), wires[4])

	st := br.stop(t)
	if st.AtoB.Packets != 1 || st.BtoA.Packets != 3 || st.BtoA.Dropped != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A leg on hold, by a=sendonly (SetHold) or c=0.0.0.0, receives nothing;
// the packets are counted as held.
func TestRelayHold(t *testing.T) {
	br := startRelay(t)
	wires := callPackets(t, 1)
	send(t, br.carrier, br.a.LocalAddr(), wires[0])
	expect(t, br.lk, br.b.LocalAddr(), wires[0])

	br.b.SetHold(true)
	send(t, br.carrier, br.a.LocalAddr(), wires[1])
	send(t, br.carrier, br.a.LocalAddr(), wires[2])
	br.barrier(t)
	br.b.SetHold(false)
	br.b.SetRemote(netip.AddrPortFrom(netip.IPv4Unspecified(), addrOf(br.lk).Port()))
	send(t, br.carrier, br.a.LocalAddr(), wires[3])
	br.barrier(t)
	br.b.SetRemote(addrOf(br.lk))
	send(t, br.carrier, br.a.LocalAddr(), wires[4])
	expect(t, br.lk, br.b.LocalAddr(), wires[4]) // the next datagram: nothing held got through

	st := br.stop(t)
	if st.AtoB.Packets != 2 || st.AtoB.Held != 3 {
		t.Errorf("stats %+v, want 2 packets and 3 held", st.AtoB)
	}
}

// barrier returns once the relay has handled every datagram sent to leg a so
// far: it sends one from a stranger and waits until a has dropped it.
func (br *bridged) barrier(t *testing.T) {
	t.Helper()
	want := br.a.Foreign() + 1
	send(t, listen(t), br.a.LocalAddr(), callPackets(t, 9)[0])
	for deadline := time.Now().Add(2 * time.Second); br.a.Foreign() < want; {
		if time.Now().After(deadline) {
			t.Fatal("the relay did not read the stranger's datagram")
		}
		time.Sleep(time.Millisecond)
	}
}

// Relaying allocates nothing per packet, in either direction, rewriting
// toward the caller included.
func TestRelayAllocs(t *testing.T) {
	br := startRelay(t)
	up, down := callPackets(t, 1)[0], callPackets(t, 2)[0]
	send(t, br.lk, br.b.LocalAddr(), down) // both directions running, both latched
	expectRelayed(t, br.carrier, br.a.LocalAddr(), down)
	buf := make([]byte, maxDatagram)
	allocs := testing.AllocsPerRun(200, func() {
		send(t, br.carrier, br.a.LocalAddr(), up)
		expectInto(t, buf, br.lk, br.b.LocalAddr(), up)
		send(t, br.lk, br.b.LocalAddr(), down)
		br.carrier.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, _, err := br.carrier.ReadFromUDPAddrPort(buf); err != nil || n != len(down) {
			t.Fatalf("relayed %d bytes, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round trip, want 0", allocs)
	}
}
