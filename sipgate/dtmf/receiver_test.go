package dtmf

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// fakeClock is an injected clock that advances by 1 ms per reading.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// rtpTo feeds wire packets of payload type pt to a Receiver.
func rtpTo(t *testing.T, r *Receiver, pt uint8, packets [][]byte) {
	t.Helper()
	for _, b := range packets {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if p.PayloadType == pt {
			r.RTP(p.SSRC, p.Timestamp, p.Payload)
		}
	}
}

// infoTo sends one dtmf-relay INFO per key, CSeq from first on, and fails on any error.
func infoTo(t *testing.T, r *Receiver, first uint32, keys string) {
	t.Helper()
	for i, k := range []byte(keys) {
		body := fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", k)
		if err := r.INFO(first+uint32(i), TypeDTMFRelay, []byte(body)); err != nil {
			t.Fatalf("INFO %c: %v", k, err)
		}
	}
}

// drain closes r and returns the keys and methods delivered.
func drain(r *Receiver) (keys string, methods []Method) {
	r.Close()
	var b []byte
	for p := range r.Presses() {
		b = append(b, p.Digit)
		methods = append(methods, p.Method)
	}
	return string(b), methods
}

func TestReceiverBothMethodsCountedOnce(t *testing.T) {
	tests := []struct {
		name       string
		rtpFirst   bool
		wantMethod Method
	}{
		{"RTP first wins", true, MethodRTP},
		{"INFO first wins", false, MethodINFO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			r := NewReceiver(ReceiverConfig{Now: clock.Now})
			// A phone sending both for every key of "42#": per key, one method's packets then the other's.
			for i, k := range []byte("42#") {
				key := sippPcapKey(t, codeOf(k), uint16(i*10), uint32(i)*8000, 77)
				if tt.rtpFirst {
					rtpTo(t, r, ptPcap, key[:1])
					infoTo(t, r, uint32(10+i), string(k))
					rtpTo(t, r, ptPcap, key[1:])
				} else {
					infoTo(t, r, uint32(10+i), string(k))
					rtpTo(t, r, ptPcap, key)
				}
			}
			if r.Method() != tt.wantMethod {
				t.Errorf("method %v, want %v", r.Method(), tt.wantMethod)
			}
			keys, methods := drain(r)
			if keys != "42#" {
				t.Errorf("keys %q, want %q", keys, "42#")
			}
			for _, m := range methods {
				if m != tt.wantMethod {
					t.Errorf("press by %v, want %v", m, tt.wantMethod)
				}
			}
			if st := r.Stats(); st.Delivered != 3 || st.Ignored != 3 || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestReceiverSingleMethod(t *testing.T) {
	t.Run("RTP", func(t *testing.T) {
		r := NewReceiver(ReceiverConfig{})
		rtpTo(t, r, ptPlayDTMF, sippPlayDTMF(t, "0123456789#", 5))
		if keys, _ := drain(r); keys != "0123456789#" {
			t.Errorf("keys %q", keys)
		}
	})
	t.Run("INFO out of order, retransmitted, flash, application/dtmf", func(t *testing.T) {
		r := NewReceiver(ReceiverConfig{})
		steps := []struct {
			cseq uint32
			ct   string
			body string
			code int
		}{
			{2, TypeDTMFRelay, "Signal=1\r\nDuration=160\r\n", 200},
			{2, TypeDTMFRelay, "Signal=1\r\nDuration=160\r\n", 200}, // retransmission
			{4, TypeDTMF, "3\r\n", 200},
			{3, TypeDTMFRelay, "Signal=2\r\n", 500},  // late: dropped
			{5, TypeDTMFRelay, "Signal=16\r\n", 200}, // flash
			{6, "application/media_control+xml", "<x/>", 415},
			{7, TypeDTMF, "?", 400},
			{8, TypeDTMFRelay, "Signal=11\r\n", 200},
		}
		for _, s := range steps {
			if got := StatusCode(r.INFO(s.cseq, s.ct, []byte(s.body))); got != s.code {
				t.Errorf("CSeq %d: status %d, want %d", s.cseq, got, s.code)
			}
		}
		if keys, _ := drain(r); keys != "13#" {
			t.Errorf("keys %q, want %q", keys, "13#")
		}
		if st := r.Stats(); st.Info != (InfoStats{Duplicates: 1, Late: 1}) {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestReceiverPressTimes(t *testing.T) {
	clock := &fakeClock{t: t0}
	r := NewReceiver(ReceiverConfig{Now: clock.Now})
	infoTo(t, r, 1, "12")
	r.Close()
	var prev time.Time
	for p := range r.Presses() {
		if !p.At.After(prev) || p.At.Before(t0) {
			t.Errorf("press %q at %v after %v", p.Digit, p.At, prev)
		}
		prev = p.At
	}
}

func TestReceiverFullBufferDropsWithoutBlocking(t *testing.T) {
	r := NewReceiver(ReceiverConfig{Buffer: 2})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range uint32(5) {
			r.RTP(1, i*1000, payload(uint8(i), true, 10, 800))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RTP blocked on a full channel")
	}
	if keys, _ := drain(r); keys != "01" {
		t.Errorf("keys %q, want %q", keys, "01")
	}
	if st := r.Stats(); st.Delivered != 2 || st.Dropped != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestReceiverClose(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	r.Close()
	r.Close()
	r.RTP(1, 0, payload(1, false, 0, 0))
	if err := r.INFO(1, TypeDTMF, []byte("1")); err != nil {
		t.Errorf("INFO after Close: %v", err)
	}
	if _, ok := <-r.Presses(); ok {
		t.Error("press after Close")
	}
}

func TestReceiverINFOErrorsWrapped(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	if err := r.INFO(1, "text/plain", []byte("1")); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("err = %v", err)
	}
}

// TestReceiverConcurrent runs RTP and INFO producers and a consumer at once (go test -race).
func TestReceiverConcurrent(t *testing.T) {
	r := NewReceiver(ReceiverConfig{Buffer: 1024})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range uint32(200) {
			for range 3 {
				r.RTP(9, i*400, payload(uint8(i%16), true, 10, 1600))
			}
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				_ = r.INFO(uint32(i*4+g), TypeDTMF, []byte("5"))
			}
		})
	}
	got := make(chan int)
	go func() {
		n := 0
		for range r.Presses() {
			n++
		}
		got <- n
	}()
	wg.Wait()
	r.Close()
	n := <-got
	st := r.Stats()
	if uint64(n) != st.Delivered || n == 0 {
		t.Errorf("received %d, delivered %d", n, st.Delivered)
	}
	if m := r.Method(); m == MethodRTP && n != 200 {
		t.Errorf("RTP won but %d keys delivered, want 200", n)
	}
}

func TestMethodString(t *testing.T) {
	for m, want := range map[Method]string{0: "none", MethodRTP: "rtp", MethodINFO: "info"} {
		if m.String() != want {
			t.Errorf("%d: %q", m, m.String())
		}
	}
}

func BenchmarkReceiverRTP(b *testing.B) {
	r := NewReceiver(ReceiverConfig{Buffer: 1})
	pl := []byte{1, 0x0a, 0, 0}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.RTP(1, uint32(i/10)*400, pl)
	}
}
