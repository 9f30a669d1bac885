package media

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// receiving runs s.Receive with handle on a goroutine; the channel gets its
// error, and after (if not nil) marks the moment it returned, so that
// handle can check it is never called later.
func receiving(ctx context.Context, s *Session, after *atomic.Bool, handle func([]byte, *rtp.Packet) bool) <-chan error {
	errc := make(chan error, 1)
	go func() {
		err := s.Receive(ctx, handle)
		if after != nil {
			after.Store(true)
		}
		errc <- err
	}()
	return errc
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Receive did not return")
		return nil
	}
}

// wire is an RTP packet of SSRC 77 with sequence number seq.
func wire(seq uint16) []byte {
	b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 77, SequenceNumber: seq, Timestamp: 160 * uint32(seq)}, Payload: make([]byte, 160)}).Marshal()
	return b
}

// pollerIdle waits until the poller holds no session and its goroutine has
// stopped, as after the last Receive returned.
func pollerIdle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		polled.mu.Lock()
		idle := polled.count == 0 && !polled.running
		polled.mu.Unlock()
		if idle {
			return
		}
	}
	t.Fatal("the poller still runs with nothing registered")
}

// Many sessions read by the one poller each get their own packets, every
// one, in order, whatever the others do; once all have returned the
// poller's goroutine stops.
func TestPollerManySessions(t *testing.T) {
	const sessions, packets = 200, 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type reader struct {
		s    *Session
		peer *net.UDPConn
		next atomic.Int32 // the sequence number expected next
		bad  atomic.Int32 // out of order or another session's
		done <-chan error
	}
	rs := make([]*reader, sessions)
	var all sync.WaitGroup
	all.Add(sessions * packets)
	for i := range rs {
		s, peer := newPair(t)
		r := &reader{s: s, peer: peer}
		ssrc := uint32(i + 1)
		r.done = receiving(ctx, s, nil, func(_ []byte, p *rtp.Packet) bool {
			if p.SSRC != ssrc || p.SequenceNumber != uint16(r.next.Load()) {
				r.bad.Add(1)
			}
			r.next.Add(1)
			all.Done()
			return true
		})
		rs[i] = r
	}
	for seq := range packets {
		for i, r := range rs {
			wire, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: uint32(i + 1), SequenceNumber: uint16(seq)}, Payload: make([]byte, 160)}).Marshal()
			if _, err := r.peer.WriteToUDPAddrPort(wire, r.s.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond) // the sockets' queues stay short
	}
	finished := make(chan struct{})
	go func() { all.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("not every packet was handed on")
	}
	for i, r := range rs {
		if r.bad.Load() != 0 || r.next.Load() != packets {
			t.Errorf("session %d: %d packets, %d out of order or foreign", i, r.next.Load(), r.bad.Load())
		}
	}
	cancel()
	for _, r := range rs {
		if err := waitErr(t, r.done); !errors.Is(err, context.Canceled) {
			t.Errorf("Receive after cancel: %v, want context.Canceled", err)
		}
	}
	pollerIdle(t)
}

// However Receive ends (its context, Close, its handler) and however often
// that races the poller reading the session, the handler is never called
// once Receive has returned, and Receive says why it ended.
func TestPollerEndsRaceFree(t *testing.T) {
	for _, end := range []string{"cancel", "close", "handler"} {
		t.Run(end, func(t *testing.T) {
			for range 50 {
				s, peer := newPair(t)
				ctx, cancel := context.WithCancel(context.Background())
				var late atomic.Int32
				var stop atomic.Bool
				var got atomic.Int32
				var after atomic.Bool
				done := receiving(ctx, s, &after, func([]byte, *rtp.Packet) bool {
					if after.Load() {
						late.Add(1)
					}
					got.Add(1)
					return !stop.Load()
				})
				sent := make(chan struct{})
				go func() { // a stream that goes on past the end
					defer close(sent)
					for seq, extra := 0, 10; extra > 0 && seq < 50000; seq++ {
						if after.Load() {
							extra--
						}
						peer.WriteToUDPAddrPort(wire(uint16(seq)), s.LocalAddr())
						time.Sleep(100 * time.Microsecond)
					}
				}()
				for got.Load() == 0 {
					time.Sleep(100 * time.Microsecond)
				}
				var want error
				switch end {
				case "cancel":
					cancel()
					want = context.Canceled
				case "close":
					s.Close()
					want = net.ErrClosed
				case "handler":
					stop.Store(true)
				}
				err := waitErr(t, done)
				if want == nil && err != nil || want != nil && !errors.Is(err, want) {
					t.Fatalf("Receive ended by %s: %v, want %v", end, err, want)
				}
				<-sent
				time.Sleep(2 * pollInterval) // passes that would find the rest
				if n := late.Load(); n != 0 {
					t.Fatalf("handler called %d times after Receive returned", n)
				}
				cancel()
				s.Close()
			}
			pollerIdle(t)
		})
	}
}

// A session whose handler stopped Receive can Receive again, and gets the
// packets that came meanwhile; after Close, Receive refuses at once.
func TestPollerReceiveAgain(t *testing.T) {
	s, peer := newPair(t)
	ctx := context.Background()
	for round := range 3 {
		for i := range 3 {
			sendRTP(t, peer, s.LocalAddr(), uint16(round*3+i), []byte("x"))
		}
		var seqs []uint16
		done := receiving(ctx, s, nil, func(_ []byte, p *rtp.Packet) bool {
			seqs = append(seqs, p.SequenceNumber)
			return len(seqs) < 3
		})
		if err := waitErr(t, done); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, seq := range seqs {
			if want := uint16(round*3 + i); seq != want {
				t.Fatalf("round %d: packets %v", round, seqs)
			}
		}
	}
	s.Close()
	if err := s.Receive(ctx, func([]byte, *rtp.Packet) bool { return true }); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive after Close: %v, want net.ErrClosed", err)
	}
	pollerIdle(t)
}

// Datagrams from a source the session does not accept never reach the
// handler and are counted, while its peer's still do.
func TestPollerDropsForeignSource(t *testing.T) {
	s, peer := newPair(t)
	stranger := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan uint32, 10)
	done := receiving(ctx, s, nil, func(_ []byte, p *rtp.Packet) bool { got <- p.SSRC; return true })
	for seq := range 3 { // too few to pass probation, and the peer is not quiet
		p, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 666, SequenceNumber: uint16(seq)}, Payload: []byte("x")}).Marshal()
		stranger.WriteToUDPAddrPort(p, s.LocalAddr())
	}
	sendRTP(t, peer, s.LocalAddr(), 1, []byte("y"))
	select {
	case ssrc := <-got:
		if ssrc != 77 {
			t.Fatalf("handed on SSRC %d, want the peer's 77", ssrc)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the peer's packet was not handed on")
	}
	for deadline := time.Now().Add(5 * time.Second); s.Foreign() < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if s.Foreign() != 3 {
		t.Errorf("Foreign %d, want 3", s.Foreign())
	}
	cancel()
	waitErr(t, done)
	select {
	case ssrc := <-got:
		t.Errorf("also handed on SSRC %d", ssrc)
	default:
	}
}

// The poller reads late by design; RTCP's reception takes each packet at
// the kernel's arrival time, not the poller's, so the interarrival jitter
// it reports is the network's.
func TestPollerArrivalTime(t *testing.T) {
	s, peer := newPair(t, WithRTCPMux())
	sent := time.Now()
	sendRTP(t, peer, s.LocalAddr(), 1, []byte("x"))
	time.Sleep(100 * time.Millisecond) // queued well before Receive starts
	ctx := context.Background()
	done := receiving(ctx, s, nil, func([]byte, *rtp.Packet) bool { return false })
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
	r := s.rtcp
	r.mu.Lock()
	arrival := r.start.Add(time.Duration(r.recv.transit+160) * time.Second / ClockRate)
	r.mu.Unlock()
	if d := arrival.Sub(sent); d < -time.Millisecond || d > 50*time.Millisecond { // the clock counts 125 µs steps
		t.Errorf("packet taken %v after it was sent, want its arrival time (sent 100 ms before Receive)", d)
	}
}
