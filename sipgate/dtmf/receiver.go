package dtmf

import (
	"errors"
	"sync"
	"time"
)

// Method is the way a key press reached the gateway.
type Method uint8

// Methods of [Press].
const (
	MethodRTP    Method = iota + 1 // RFC 4733 telephone-event in the RTP stream
	MethodINFO                     // SIP INFO, application/dtmf-relay or application/dtmf
	MethodInband                   // tones in the audio (ITU-T Q.23), found by a [Detector]
)

// String returns "rtp", "info", "inband" or "none".
func (m Method) String() string {
	switch m {
	case MethodRTP:
		return "rtp"
	case MethodINFO:
		return "info"
	case MethodInband:
		return "inband"
	}
	return "none"
}

// Press is one key press of the caller.
type Press struct {
	Digit  byte      // '0'–'9', '*', '#', 'A'–'D'
	Method Method    // how it came
	At     time.Time // when the Receiver got it
}

// ReceiverConfig configures a [Receiver]. The zero value is the default.
type ReceiverConfig struct {
	// Buffer is the capacity of the Presses channel; 0 means 32. A PIN is at most a few dozen keys, so a
	// reader that keeps up never sees a drop.
	Buffer int
	// Now is the clock stamped on presses; nil means time.Now.
	Now func() time.Time
}

// ReceiverStats counts what a [Receiver] did with the keys it got.
type ReceiverStats struct {
	Delivered uint64 // sent on the Presses channel
	Dropped   uint64 // lost because the channel was full
	Ignored   uint64 // came by the method that did not win (see [Receiver])
	Info      InfoStats
}

// Receiver collects the key presses of one call from both RFC 4733 and SIP INFO, counting each key once.
//
// Many phones can send both, and some do, for every key. Matching an RTP event with an INFO by time is
// fragile — the two travel different paths, INFO may be retransmitted or delayed by seconds, the same key
// pressed twice is legitimately two presses — so the rule is simpler: the first method to deliver a key
// wins for the rest of the call and keys from the other are ignored (and counted in Ignored). Phones do not
// switch methods within a call in practice, and the key that decided is delivered once, by the winner.
//
// Presses are sent on a buffered channel without ever blocking the producer — the RTP read loop must not
// stall: when the channel is full the press is dropped and counted. RTP (from the media goroutine) and
// INFO (from sipgo's request goroutines) may be called concurrently; a Receiver is safe for concurrent use.
type Receiver struct {
	now func() time.Time

	mu     sync.Mutex
	rtp    RTPCollector
	info   InfoSequencer
	method Method // the winner, or 0 until the first key
	out    chan Press
	closed bool
	stats  ReceiverStats
}

// NewReceiver returns a Receiver for one call.
func NewReceiver(cfg ReceiverConfig) *Receiver {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 32
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Receiver{now: cfg.Now, out: make(chan Press, cfg.Buffer)}
}

// Presses returns the channel of key presses. It is closed by [Receiver.Close].
func (r *Receiver) Presses() <-chan Press { return r.out }

// RTP takes one packet of the negotiated telephone-event payload type (see [RTPCollector.Add]). It does not
// allocate and never blocks.
func (r *Receiver) RTP(ssrc, timestamp uint32, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.rtp.Add(ssrc, timestamp, payload); ok {
		r.deliver(d, MethodRTP)
	}
}

// Tone takes a key a [Detector] found in the caller's audio. It does not allocate and never blocks.
func (r *Receiver) Tone(digit byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliver(digit, MethodInband)
}

// INFO takes one SIP INFO request of the call's dialog and returns the error that decides the response;
// answer with [StatusCode](err). A key is delivered when the body carries one ([ParseInfo]) and the request
// is in CSeq order ([InfoSequencer]).
func (r *Receiver) INFO(cseq uint32, contentType string, body []byte) error {
	d, err := ParseInfo(contentType, body)
	if err != nil && !errors.Is(err, ErrNoDigit) {
		return err
	}
	if seqErr := r.info.Accept(cseq); seqErr != nil {
		return seqErr
	}
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliver(d, MethodINFO)
	return nil
}

// Method returns the method that won, or 0 before the first key.
func (r *Receiver) Method() Method {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.method
}

// Stats returns the receiver's counters.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Info = r.info.Stats()
	return s
}

// Close closes the Presses channel; keys that arrive later are discarded. Close may be called more than
// once.
func (r *Receiver) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.out)
	}
}

// deliver sends one key from method m. r.mu must be held.
func (r *Receiver) deliver(d byte, m Method) {
	if r.closed {
		return
	}
	if r.method == 0 {
		r.method = m
	}
	if r.method != m {
		r.stats.Ignored++
		return
	}
	select {
	case r.out <- Press{Digit: d, Method: m, At: r.now()}:
		r.stats.Delivered++
	default:
		r.stats.Dropped++
	}
}
