package media

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// stream is the state of the RTP stream a session originates (RFC 3550
// §5.1): SSRC, sequence number and timestamp start at random values and
// continue across prompts, so a receiver sees one stream per call.
//
// Between talkspurts the gateway sends nothing (no comfort noise): the
// first packet of the next talkspurt carries the marker bit (RFC 3551 §4.1)
// and a timestamp advanced by the silence, measured on the wall clock, as
// RFC 3550 §5.1 asks, so the receiver's playout stays in step.
//
// A relay writes another leg's packets into the stream too (splice.go), so
// that the caller hears prompts and the meeting as one stream.
type stream struct {
	ssrc   uint32
	seq    uint16
	ts     uint32
	marker bool      // the next packet starts a talkspurt
	end    time.Time // wall-clock time at which the audio sent so far ends
	splice splice

	packets, octets uint32 // sent, for RTCP sender reports (RFC 3550 §6.4.1)
}

func newStream() stream {
	return stream{ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// talkspurt starts a talkspurt at now: marker on the next packet, timestamp
// advanced by the silence since the previous audio ended.
func (st *stream) talkspurt(now time.Time) {
	if gap := now.Sub(st.end); !st.end.IsZero() && gap > 0 {
		st.ts += uint32(gap.Nanoseconds() * ClockRate / int64(time.Second))
	}
	if st.end.IsZero() || st.end.Before(now) {
		st.end = now
	}
	st.marker = true
}

// sent counts a packet of the stream with a payload of n bytes.
func (st *stream) sent(n int) {
	st.packets++
	st.octets += uint32(n)
}

// stamp fills h for the next packet, which carries samples samples.
func (st *stream) stamp(h *rtp.Header, pt uint8, samples uint32) {
	*h = rtp.Header{
		Version:        2,
		Marker:         st.marker,
		PayloadType:    pt,
		SequenceNumber: st.seq,
		Timestamp:      st.ts,
		SSRC:           st.ssrc,
	}
	st.marker = false
	st.splice.on = false // a relayed packet after this one starts a talkspurt
	st.seq++
	st.ts += samples
	if st.end.IsZero() {
		st.end = time.Now()
	}
	st.end = st.end.Add(time.Duration(samples) * time.Second / ClockRate)
}
