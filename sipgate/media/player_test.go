package media

import (
	"context"
	"errors"
	"math"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// tone returns d of a 440 Hz sine as μ-law.
func tone(d time.Duration) []byte {
	n := int(d * ClockRate / time.Second)
	b := make([]byte, n)
	for i := range b {
		b[i] = EncodeULaw(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/ClockRate)))
	}
	return b
}

type arrival struct {
	rtp.Packet
	at time.Time
}

// receive collects packets arriving at c, parsed with pion/rtp, until stop.
func receive(c *net.UDPConn, stop <-chan struct{}) <-chan []arrival {
	out := make(chan []arrival, 1)
	go func() {
		var got []arrival
		buf := make([]byte, 1500)
		for {
			select {
			case <-stop:
				out <- got
				return
			default:
			}
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				continue
			}
			var p rtp.Packet
			if p.Unmarshal(append([]byte(nil), buf[:n]...)) == nil {
				got = append(got, arrival{p, time.Now()})
			}
		}
	}()
	return out
}

func collect(t *testing.T, peer *net.UDPConn, play func()) []arrival {
	t.Helper()
	stop := make(chan struct{})
	got := receive(peer, stop)
	play()
	time.Sleep(60 * time.Millisecond)
	close(stop)
	return <-got
}

func TestPlayOneSecond(t *testing.T) {
	s, peer := newPair(t)
	p := NewPrompt("test", "tone", tone(time.Second))
	var took time.Duration
	got := collect(t, peer, func() {
		start := time.Now()
		if err := Play(context.Background(), s, p, PCMU); err != nil {
			t.Error(err)
		}
		took = time.Since(start)
	})
	if len(got) != 50 {
		t.Fatalf("%d packets, want 50", len(got))
	}
	checkStream(t, got, s.SSRC(), 0)
	for i, a := range got {
		if string(a.Payload) != string(p.Frames(PCMU)[i]) {
			t.Fatalf("packet %d payload differs from frame %d", i, i)
		}
	}
	// Paced at 20 ms: the packets span 49 intervals, Play waits out the last.
	span := got[49].at.Sub(got[0].at)
	t.Logf("Play took %v, packets spanned %v (%.1f ms mean interval)", took, span, float64(span.Milliseconds())/49)
	if took < 990*time.Millisecond || took > 1600*time.Millisecond {
		t.Errorf("Play took %v, want about 1 s", took)
	}
	if span < 900*time.Millisecond || span > 1500*time.Millisecond {
		t.Errorf("packets spanned %v, want about 980 ms", span)
	}
}

// checkStream checks one talkspurt: consecutive sequence numbers, +160
// timestamps, the marker on the first packet only, one SSRC, payload type.
func checkStream(t *testing.T, got []arrival, ssrc uint32, pt uint8) {
	t.Helper()
	for i, a := range got {
		if a.SSRC != ssrc || a.PayloadType != pt || a.Version != 2 || len(a.Payload) != 160 {
			t.Fatalf("packet %d: %v", i, a.Header)
		}
		if a.Marker != (i == 0) {
			t.Errorf("packet %d: marker %v", i, a.Marker)
		}
		if i == 0 {
			continue
		}
		if a.SequenceNumber != got[i-1].SequenceNumber+1 || a.Timestamp != got[i-1].Timestamp+160 {
			t.Errorf("packet %d: seq %d ts %d after seq %d ts %d", i, a.SequenceNumber, a.Timestamp,
				got[i-1].SequenceNumber, got[i-1].Timestamp)
		}
	}
}

func TestPlayPCMAAndDynamicPayloadType(t *testing.T) {
	s, peer := newPair(t, WithPayloadType(PCMA, 110))
	p := NewPrompt("test", "tone", tone(100*time.Millisecond))
	got := collect(t, peer, func() {
		if err := Play(context.Background(), s, p, PCMA); err != nil {
			t.Error(err)
		}
	})
	if len(got) != 5 {
		t.Fatalf("%d packets, want 5", len(got))
	}
	checkStream(t, got, s.SSRC(), 110)
	for i, a := range got {
		for j, b := range a.Payload {
			if b != ULawToALaw(p.Frames(PCMU)[i][j]) {
				t.Fatalf("packet %d byte %d not the A-law transcoding", i, j)
			}
		}
	}
}

// Barge-in: cancelling the context stops the prompt at once.
func TestPlayCancel(t *testing.T) {
	s, peer := newPair(t)
	p := NewPrompt("test", "tone", tone(5*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	got := collect(t, peer, func() {
		time.AfterFunc(200*time.Millisecond, cancel)
		if err := Play(ctx, s, p, PCMU); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	if n := len(got); n < 5 || n > 14 {
		t.Errorf("%d packets for 200 ms, want about 10", n)
	}
}

// The player stops within 40 ms of the cancel (in practice microseconds); a
// loaded machine may delay the goroutine, so the best of three tries counts.
func TestPlayCancelLatency(t *testing.T) {
	s, _ := newPair(t)
	p := NewPrompt("test", "tone", tone(5*time.Second))
	best := time.Hour
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan time.Time, 1)
		go func() { Play(ctx, s, p, PCMU); done <- time.Now() }()
		time.Sleep(110 * time.Millisecond)
		cancelAt := time.Now()
		cancel()
		select {
		case at := <-done:
			best = min(best, at.Sub(cancelAt))
		case <-time.After(time.Second):
			t.Fatal("Play did not stop")
		}
		if best <= 40*time.Millisecond {
			break
		}
	}
	t.Logf("stopped %v after cancel", best)
	if best > 40*time.Millisecond {
		t.Errorf("stopped %v after cancel, want within 40 ms", best)
	}
}

// Prompts continue one stream: sequence +1, a new talkspurt (marker) whose
// timestamp also covers the silence between them.
func TestPlayContinuesStreamAcrossPrompts(t *testing.T) {
	s, peer := newPair(t)
	p := NewPrompt("test", "tone", tone(100*time.Millisecond))
	const gap = 300 * time.Millisecond
	got := collect(t, peer, func() {
		Play(context.Background(), s, p, PCMU)
		time.Sleep(gap)
		Play(context.Background(), s, p, PCMU)
	})
	if len(got) != 10 {
		t.Fatalf("%d packets, want 10", len(got))
	}
	checkStream(t, got[:5], s.SSRC(), 0)
	a, b := got[4], got[5]
	if !b.Marker || b.SequenceNumber != a.SequenceNumber+1 {
		t.Errorf("second prompt starts with marker %v seq %d after %d", b.Marker, b.SequenceNumber, a.SequenceNumber)
	}
	jump := int64(b.Timestamp - a.Timestamp - 160)
	want := int64(gap * ClockRate / time.Second)
	t.Logf("timestamp jump %d samples for a %v silence", jump, gap)
	if jump < want-400 || jump > want+1600 {
		t.Errorf("timestamp jumped %d samples over the silence, want about %d", jump, want)
	}
}

func TestLoop(t *testing.T) {
	s, peer := newPair(t)
	p := NewPrompt("test", "moh", tone(60*time.Millisecond)) // 3 frames
	got := collect(t, peer, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := Loop(ctx, s, p, PCMU); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Loop returned %v", err)
		}
	})
	if n := len(got); n < 10 || n > 18 {
		t.Fatalf("%d packets in 300 ms, want about 15", n)
	}
	checkStream(t, got, s.SSRC(), 0)
	for i, a := range got {
		if string(a.Payload) != string(p.Frames(PCMU)[i%3]) {
			t.Fatalf("packet %d is not frame %d of the loop", i, i%3)
		}
	}
}

func TestPlaySilentPrompt(t *testing.T) {
	s, _ := newPair(t)
	if err := Play(context.Background(), s, Prompt{}, PCMU); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := Loop(ctx, s, Prompt{}, PCMU); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Loop of nothing: %v", err)
	}
}
