package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestPacerStopSendsNothingAfter checks barge-in: once Play has returned
// for a cancelled ctx, no frame of that prompt reaches the peer, whichever
// point of a pass the cancel came at.
func TestPacerStopSendsNothingAfter(t *testing.T) {
	s, peer := newPair(t)
	p := NewPrompt("test", "tone", tone(2*time.Second))
	stop := make(chan struct{})
	got := receive(peer, stop)
	ctx, cancel := context.WithCancel(context.Background())
	var sent uint32
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := Play(ctx, s, p, PCMU); !errors.Is(err, context.Canceled) {
			t.Errorf("Play = %v, want context.Canceled", err)
		}
		sent = packetsSent(s)
	}()
	time.Sleep(150 * time.Millisecond)
	cancel()
	<-done
	time.Sleep(100 * time.Millisecond)
	close(stop)
	arrivals := <-got
	if len(arrivals) == 0 {
		t.Fatal("nothing played before the cancel")
	}
	if later := packetsSent(s); later != sent || len(arrivals) != int(sent) {
		t.Errorf("%d frames sent when Play returned, %d since, %d arrived", sent, later, len(arrivals))
	}
	if len(arrivals) >= len(p.Frames(PCMU)) {
		t.Errorf("%d frames arrived: the cancel stopped nothing", len(arrivals))
	}
}

// TestPacerManyCalls plays prompts of different lengths on many sessions
// sharing one pacer: each gets every frame, as one stream.
func TestPacerManyCalls(t *testing.T) {
	set := newPacers(1)
	const calls = 20
	var wg sync.WaitGroup
	for i := range calls {
		s, peer := newPair(t)
		frames := NewPrompt("test", "tone", tone(time.Duration(5+i)*frameDuration)).Frames(PCMU)
		stop := make(chan struct{})
		got := receive(peer, stop)
		wg.Go(func() {
			err := set.play(context.Background(), &track{s: s, frames: frames, n: len(frames), done: make(chan struct{})})
			if err != nil {
				t.Error(err)
			}
			time.Sleep(60 * time.Millisecond)
			close(stop)
			arrivals := <-got
			if len(arrivals) != len(frames) {
				t.Errorf("call %d: %d packets, want %d", i, len(arrivals), len(frames))
				return
			}
			checkStream(t, arrivals, s.SSRC(), 0)
		})
	}
	wg.Wait()
}

// TestPacerStopsWhenIdle checks that the pacer's goroutine ends once
// nothing plays, and that a later Play starts it again.
func TestPacerStopsWhenIdle(t *testing.T) {
	set := newPacers(1)
	s, _ := newPair(t)
	frames := NewPrompt("test", "tone", tone(3*frameDuration)).Frames(PCMU)
	for range 2 {
		if err := set.play(context.Background(), &track{s: s, frames: frames, n: len(frames), done: make(chan struct{})}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for {
			set.ps[0].mu.Lock()
			running := set.ps[0].running
			set.ps[0].mu.Unlock()
			if !running {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the pacer still runs with nothing to play")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestPacerNoAllocsPerFrame: sending a frame allocates nothing.
func TestPacerNoAllocsPerFrame(t *testing.T) {
	s, _ := newPair(t)
	frames := NewPrompt("test", "tone", tone(time.Second)).Frames(PCMU)
	tr := &track{s: s, frames: frames, n: -1, done: make(chan struct{})}
	if n := testing.AllocsPerRun(200, func() { tr.step() }); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

func packetsSent(s *Session) uint32 {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.out.packets
}
