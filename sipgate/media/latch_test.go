package media

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// pkt is one datagram of a probation script: from which source, its SSRC
// and sequence number, when it is read, and whether the session takes it.
type pkt struct {
	src  string
	ssrc uint32
	seq  uint16
	at   time.Duration
	ok   bool
}

// The probation rules, on a synthetic clock: the SDP address at once, another
// source after 4 in-sequence packets and 250 ms of silence from the source in
// force, the SDP address back whenever it sends.
func TestSessionAcceptProbation(t *testing.T) {
	const sdp, nat, evil = "192.0.2.10:4000", "198.51.100.7:31000", "203.0.113.66:5060"
	ms := time.Millisecond
	tests := []struct {
		name    string
		script  []pkt
		remote  string
		foreign uint64
	}{
		{"sdp address at once", []pkt{{sdp, 1, 10, 0, true}, {sdp, 1, 11, 20 * ms, true}}, sdp, 0},
		{"nat latches after probation", []pkt{
			{nat, 7, 1, 0, false}, {nat, 7, 2, 20 * ms, false}, {nat, 7, 3, 40 * ms, false},
			{nat, 7, 4, 60 * ms, false}, // 4 in sequence, but the SDP address's quiet is not over
			{nat, 7, 5, 240 * ms, false},
			{nat, 7, 6, 260 * ms, true}, // run of 6, 260 ms quiet
			{nat, 7, 7, 280 * ms, true},
			{evil, 9, 1, 290 * ms, false}, // a stranger now needs the NAT source quiet
		}, nat, 6},
		{"stranger before the caller's first packet", []pkt{
			{evil, 9, 1, 0, false}, {evil, 9, 2, 1 * ms, false}, {evil, 9, 3, 2 * ms, false},
			{evil, 9, 4, 3 * ms, false}, {evil, 9, 5, 4 * ms, false}, {evil, 9, 6, 5 * ms, false},
			{sdp, 1, 100, 120 * ms, true},
			{evil, 9, 7, 260 * ms, false}, // in sequence, but the caller spoke 140 ms ago
			{sdp, 1, 101, 300 * ms, true},
		}, sdp, 7},
		{"out of sequence restarts the run", []pkt{
			{nat, 7, 1, 300 * ms, false}, {nat, 7, 2, 320 * ms, false}, {nat, 7, 4, 340 * ms, false},
			{nat, 7, 5, 360 * ms, false}, {nat, 7, 6, 380 * ms, false},
			{nat, 8, 7, 400 * ms, false}, // new SSRC
			{nat, 8, 8, 420 * ms, false}, {nat, 8, 9, 440 * ms, false}, {nat, 8, 10, 460 * ms, true},
		}, nat, 8},
		{"two sources interleaved never finish a run", []pkt{
			{nat, 7, 1, 300 * ms, false}, {evil, 9, 1, 301 * ms, false}, {nat, 7, 2, 320 * ms, false},
			{evil, 9, 2, 321 * ms, false}, {nat, 7, 3, 340 * ms, false}, {evil, 9, 3, 341 * ms, false},
			{nat, 7, 4, 360 * ms, false}, {evil, 9, 4, 361 * ms, false},
		}, sdp, 8},
		{"the sdp address takes a latched session back", []pkt{
			{evil, 9, 1, 300 * ms, false}, {evil, 9, 2, 301 * ms, false}, {evil, 9, 3, 302 * ms, false},
			{evil, 9, 4, 303 * ms, true},
			{sdp, 1, 50, 310 * ms, true},
			{evil, 9, 5, 311 * ms, false},
		}, sdp, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSession(listen(t), netip.MustParseAddrPort(sdp))
			for i, p := range tt.script {
				b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: p.ssrc, SequenceNumber: p.seq}}).Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if got := s.accept(netip.MustParseAddrPort(p.src), b, int64(p.at)); got != p.ok {
					t.Fatalf("packet %d (%s seq %d at %v): accepted %v, want %v", i, p.src, p.seq, p.at, got, p.ok)
				}
			}
			if s.Remote().String() != tt.remote || s.Foreign() != tt.foreign {
				t.Errorf("remote %v, foreign %d; want %s, %d", s.Remote(), s.Foreign(), tt.remote, tt.foreign)
			}
		})
	}
}

// A re-INVITE with the SDP in force (a session refresh) keeps a NAT latch;
// a new address is accepted at once and the old source is a stranger.
func TestSessionSetRemoteKeepsOrResetsLatch(t *testing.T) {
	sdp, nat, moved := netip.MustParseAddrPort("192.0.2.10:4000"), netip.MustParseAddrPort("198.51.100.7:31000"), netip.MustParseAddrPort("192.0.2.11:4002")
	s := NewSession(listen(t), sdp, WithProbation(Probation{Packets: 2, Quiet: 0}))
	b := func(seq uint16) []byte {
		w, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 3, SequenceNumber: seq}}).Marshal()
		return w
	}
	s.accept(nat, b(1), 0)
	if !s.accept(nat, b(2), 1) || s.Remote() != nat || s.Latches() != 1 {
		t.Fatalf("remote %v, latches %d; want latched onto %v", s.Remote(), s.Latches(), nat)
	}
	s.SetRemote(sdp)
	if s.Remote() != nat {
		t.Fatalf("refresh with the same SDP moved the remote to %v", s.Remote())
	}
	s.SetRemote(moved)
	if s.Remote() != moved || s.accept(nat, b(3), 2) || !s.accept(moved, b(1), 3) {
		t.Fatalf("after a new SDP address: remote %v", s.Remote())
	}
}

// An attacker who sprays the next ports before the caller's first packet
// (as with the round-robin ports it could predict) hears nothing of the call
// and types nothing into it: its RFC 4733 events never reach the reader.
func TestSessionStrangerBeforeCallerGetsNothing(t *testing.T) {
	caller, attacker := listen(t), listen(t)
	s := NewSession(listen(t), addrOf(caller))
	defer s.Close()
	for seq := range uint16(40) { // '5' pressed, in sequence, as a latch-hungry stream
		w, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, SSRC: 666}, Payload: []byte{5, 0x0A, 0, 160}}).Marshal()
		send(t, attacker, s.LocalAddr(), w)
	}
	sendRTP(t, caller, s.LocalAddr(), 1, []byte("caller"))
	p, err := readWithin(t, s, time.Second)
	if err != nil || p.PayloadType != 0 || string(p.Payload) != "caller" {
		t.Fatalf("first packet read: %v, %v; want the caller's", p, err)
	}
	if s.Remote() != addrOf(caller) || s.Foreign() != 40 {
		t.Errorf("remote %v, foreign %d; want %v, 40", s.Remote(), s.Foreign(), addrOf(caller))
	}
	for range 5 { // the prompt
		if err := s.WriteFrame(0, make([]byte, 160), 160); err != nil {
			t.Fatal(err)
		}
	}
	attacker.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := attacker.ReadFromUDPAddrPort(make([]byte, 1500)); err == nil {
		t.Fatalf("the attacker received %d bytes of the call", n)
	}
	caller.SetReadDeadline(time.Now().Add(time.Second))
	if _, _, err := caller.ReadFromUDPAddrPort(make([]byte, 1500)); err != nil {
		t.Fatalf("the caller got no prompt: %v", err)
	}
}

// While the caller talks, an attacker's in-sequence stream, however fast,
// is dropped: every packet of the caller's restarts the quiet period.
func TestSessionStrangerDuringCallIsDropped(t *testing.T) {
	caller, attacker := listen(t), listen(t)
	s := NewSession(listen(t), addrOf(caller))
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan string, 100)
	go func() {
		defer close(got)
		for {
			p, err := s.ReadPacket(ctx)
			if err != nil {
				return
			}
			got <- string(p.Payload)
		}
	}()
	for i := range uint16(25) { // 500 ms of the caller, 40 attacker packets per 20 ms
		sendRTP(t, caller, s.LocalAddr(), i, []byte("caller"))
		for j := range uint16(40) {
			w, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 40*i + j, SSRC: 666}, Payload: []byte("evil")}).Marshal()
			send(t, attacker, s.LocalAddr(), w)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitForeign(t, s, 1000)
	cancel()
	n := 0
	for p := range got {
		if p != "caller" {
			t.Fatalf("read the attacker's %q", p)
		}
		n++
	}
	if n != 25 || s.Remote() != addrOf(caller) {
		t.Errorf("read %d caller packets, remote %v", n, s.Remote())
	}
}

// A caller behind a NAT (its SDP names an address it never sends from) is
// latched onto after the probation, and hears the rest of the call.
func TestSessionNATLatchesAfterProbation(t *testing.T) {
	private, nat := listen(t), listen(t) // private: the SDP's address, silent
	s := NewSession(listen(t), addrOf(private))
	defer s.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	first := make(chan uint16, 1)
	go func() {
		p, err := s.ReadPacket(ctx)
		if err == nil {
			first <- p.SequenceNumber
		}
		close(first)
	}()
	var seq uint16
	for ; ; seq++ {
		sendRTP(t, nat, s.LocalAddr(), seq, []byte("natted"))
		select {
		case got, ok := <-first:
			if !ok {
				t.Fatal("nothing read")
			}
			if time.Since(start) < DefaultProbation.Quiet || got < uint16(DefaultProbation.Packets-1) {
				t.Fatalf("latched at packet %d after %v, before the probation", got, time.Since(start))
			}
			if s.Remote() != addrOf(nat) || s.Latches() != 1 {
				t.Fatalf("remote %v, latches %d", s.Remote(), s.Latches())
			}
			if err := s.WriteFrame(0, []byte("prompt"), 160); err != nil {
				t.Fatal(err)
			}
			nat.SetReadDeadline(time.Now().Add(time.Second))
			if _, _, err := nat.ReadFromUDPAddrPort(make([]byte, 1500)); err != nil {
				t.Fatalf("the NATed caller got nothing: %v", err)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if seq > 200 {
			t.Fatal("no latch after 200 packets")
		}
	}
}

func waitForeign(t *testing.T, s *Session, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); s.Foreign() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("Foreign = %d, want %d", s.Foreign(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The probation's bookkeeping allocates nothing for a stranger's packets.
func TestSessionForeignAllocs(t *testing.T) {
	s, peer := newPair(t)
	stranger := listen(t)
	ctx := context.Background()
	wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)}).Marshal()
	allocs := testing.AllocsPerRun(200, func() {
		stranger.WriteToUDPAddrPort(wire, s.LocalAddr())
		peer.WriteToUDPAddrPort(wire, s.LocalAddr())
		if _, err := s.ReadPacket(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet pair, want 0", allocs)
	}
}

// BenchmarkReadPacketUnderSpray is the reader's cost while a stranger sends
// a packet for every one of the caller's: both dropped and accepted packets
// allocate nothing.
func BenchmarkReadPacketUnderSpray(b *testing.B) {
	s, peer := newPair(b)
	stranger := listen(b)
	wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)}).Marshal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		stranger.WriteToUDPAddrPort(wire, s.LocalAddr())
		peer.WriteToUDPAddrPort(wire, s.LocalAddr())
		if _, err := s.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
