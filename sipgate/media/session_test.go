package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func listen(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// newPair returns a session whose SDP remote is peer, and peer.
func newPair(t testing.TB, opts ...SessionOption) (*Session, *net.UDPConn) {
	t.Helper()
	peer := listen(t)
	s := NewSession(listen(t), addrOf(peer), opts...)
	return s, peer
}

func sendRTP(t testing.TB, from *net.UDPConn, to netip.AddrPort, seq uint16, payload []byte) {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: 160 * uint32(seq), SSRC: 77}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := from.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}

func readWithin(t *testing.T, s *Session, d time.Duration) (*rtp.Packet, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.ReadPacket(ctx)
}

func TestSessionReadPacket(t *testing.T) {
	s, peer := newPair(t)
	created := s.LastReceived()
	time.Sleep(5 * time.Millisecond)
	sendRTP(t, peer, s.LocalAddr(), 7, []byte("hello"))
	p, err := readWithin(t, s, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p.SequenceNumber != 7 || p.SSRC != 77 || string(p.Payload) != "hello" {
		t.Errorf("got %v", p)
	}
	if !s.LastReceived().After(created) {
		t.Error("LastReceived not updated")
	}
}

func TestSessionSkipsJunkAndRTCP(t *testing.T) {
	s, peer := newPair(t)
	peer.WriteToUDPAddrPort([]byte{1, 2, 3}, s.LocalAddr())                     // too short
	peer.WriteToUDPAddrPort(make([]byte, 20), s.LocalAddr())                    // version 0
	peer.WriteToUDPAddrPort([]byte{0x81, 200, 0, 6, 0, 0, 0, 1}, s.LocalAddr()) // RTCP SR, muxed
	sendRTP(t, peer, s.LocalAddr(), 1, []byte("ok"))
	p, err := readWithin(t, s, time.Second)
	if err != nil || string(p.Payload) != "ok" {
		t.Fatalf("got %v, %v", p, err)
	}
}

func TestSessionReadCancelAndResume(t *testing.T) {
	s, peer := newPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.ReadPacket(ctx); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("ReadPacket did not return after cancel")
	}
	// A new context clears the deadline the cancelled one set.
	sendRTP(t, peer, s.LocalAddr(), 9, []byte("again"))
	if p, err := readWithin(t, s, time.Second); err != nil || string(p.Payload) != "again" {
		t.Fatalf("after cancel: %v, %v", p, err)
	}
}

func TestSessionClose(t *testing.T) {
	s, _ := newPair(t)
	done := make(chan error, 1)
	go func() { _, err := s.ReadPacket(context.Background()); done <- err }()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("err = %v, want net.ErrClosed", err)
		}
	case <-time.After(time.Second):
		t.Fatal("ReadPacket did not return after Close")
	}
	if _, err := s.ReadPacket(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
}

func TestSessionHoldSendsNothing(t *testing.T) {
	s := NewSession(listen(t), netip.MustParseAddrPort("0.0.0.0:4000"))
	if err := s.WriteFrame(0, make([]byte, 160), 160); err != nil {
		t.Fatal(err)
	}
}

// SetHold (a=sendonly from the peer) stops every write, whatever the address.
func TestSessionSetHold(t *testing.T) {
	s, peer := newPair(t)
	s.SetHold(true)
	if err := s.WriteFrame(0, []byte("held"), 160); err != nil {
		t.Fatal(err)
	}
	if sent, err := s.WriteRTP([]byte("held")); sent || err != nil {
		t.Fatalf("WriteRTP on hold: %v, %v", sent, err)
	}
	s.SetHold(false)
	if sent, err := s.WriteRTP([]byte("resumed")); !sent || err != nil {
		t.Fatalf("WriteRTP: %v, %v", sent, err)
	}
	buf := make([]byte, 1500)
	peer.SetReadDeadline(time.Now().Add(time.Second))
	if n, _, err := peer.ReadFromUDPAddrPort(buf); err != nil || string(buf[:n]) != "resumed" {
		t.Fatalf("first datagram %q, %v; want the one sent after the hold", buf[:n], err)
	}
}

// Receive skips what ReadPacket skips and hands on the packet as received
// and parsed.
func TestSessionReceive(t *testing.T) {
	s, peer := newPair(t)
	peer.WriteToUDPAddrPort([]byte{0x80, 0}, s.LocalAddr())                     // too short
	peer.WriteToUDPAddrPort([]byte{0x81, 200, 0, 6, 0, 0, 0, 1}, s.LocalAddr()) // RTCP SR, muxed
	wire := callPackets(t, 5)[6]                                                // CSRCs, extension, padding
	peer.WriteToUDPAddrPort(wire, s.LocalAddr())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var got []byte
	var seq uint16
	err := s.Receive(ctx, func(b []byte, p *rtp.Packet) bool {
		got, seq = bytes.Clone(b), p.SequenceNumber
		return false
	})
	if err != nil || !bytes.Equal(got, wire) {
		t.Fatalf("got %x, %v; want %x", got, err, wire)
	}
	if want := binary.BigEndian.Uint16(wire[2:]); seq != want {
		t.Errorf("parsed sequence number %d, want %d", seq, want)
	}
	if s.Remote() != addrOf(peer) {
		t.Errorf("remote %v, want latched %v", s.Remote(), addrOf(peer))
	}
}

// Receive hands on every packet once and in order, whether they queued up
// before it read (two per system call) or came one by one while it waited.
func TestSessionReceiveOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  time.Duration
	}{{"queued", 0}, {"one by one", 2 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			s, peer := newPair(t)
			const n = 25
			got := make(chan uint16, n)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			send := func(i int) {
				wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1, SequenceNumber: uint16(i)}, Payload: make([]byte, 160)}).Marshal()
				peer.WriteToUDPAddrPort(wire, s.LocalAddr())
			}
			if tc.gap == 0 {
				for i := range n {
					send(i)
				}
			}
			done := make(chan error, 1)
			go func() {
				done <- s.Receive(ctx, func(_ []byte, p *rtp.Packet) bool { got <- p.SequenceNumber; return true })
			}()
			for i := range n {
				if tc.gap > 0 {
					time.Sleep(tc.gap)
					send(i)
				}
				select {
				case seq := <-got:
					if seq != uint16(i) {
						t.Fatalf("packet %d handed on as %d", i, seq)
					}
				case <-time.After(time.Second):
					t.Fatalf("packet %d not handed on", i)
				}
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Receive after cancel: %v, want context.Canceled", err)
			}
		})
	}
}

// Receive ends on Close with net.ErrClosed, on a context already done with
// its error, and with nil when the handler says stop.
func TestSessionReceiveEnds(t *testing.T) {
	s, _ := newPair(t)
	done := make(chan error, 1)
	go func() { done <- s.Receive(context.Background(), func([]byte, *rtp.Packet) bool { return true }) }()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Receive after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Receive still running after Close")
	}
	s2, _ := newPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s2.Receive(ctx, func([]byte, *rtp.Packet) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a done context: %v, want context.Canceled", err)
	}
}

// Receive allocates nothing per packet.
func TestSessionReceiveAllocs(t *testing.T) {
	s, peer := newPair(t)
	wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)}).Marshal()
	const n = 1000
	got := make(chan struct{}, 1)
	count := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		s.Receive(ctx, func([]byte, *rtp.Packet) bool {
			if count++; count%100 == 0 {
				got <- struct{}{}
			}
			return true
		})
	}()
	send100 := func() {
		for range 100 {
			peer.WriteToUDPAddrPort(wire, s.LocalAddr())
		}
		<-got
	}
	send100() // warm up: the batch state, the context watch
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n / 100 {
		send100()
	}
	runtime.ReadMemStats(&after)
	// The test's own sends allocate nothing either; a little slack for the runtime.
	if allocs := float64(after.Mallocs-before.Mallocs) / n; allocs > 0.05 {
		t.Errorf("%.2f allocations per packet, want 0", allocs)
	}
}

func TestSessionReadPacketAllocs(t *testing.T) {
	s, peer := newPair(t)
	payload := make([]byte, 160)
	ctx := context.Background()
	wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: payload}).Marshal()
	allocs := testing.AllocsPerRun(200, func() {
		peer.WriteToUDPAddrPort(wire, s.LocalAddr())
		if _, err := s.ReadPacket(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

func BenchmarkReadPacket(b *testing.B) {
	s, peer := newPair(b)
	wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)}).Marshal()
	if _, err := peer.WriteToUDPAddrPort(wire, s.LocalAddr()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		peer.WriteToUDPAddrPort(wire, s.LocalAddr())
		if _, err := s.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
