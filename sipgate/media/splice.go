package media

import (
	"encoding/binary"
	"time"
)

// splice maps a relayed stream, another leg's packets, onto the session's
// own: the caller sees one SSRC for the whole call, its sequence numbers and
// timestamps run on across prompts and meeting audio, and the first packet
// after each switch carries the marker bit, as when FreeSWITCH rewrites
// timestamps (rtp_rewrite_timestamps) and as an RTP translator that changes
// SSRCs must (RFC 3550 §7.1, §7.3). The mapping is a pair of offsets taken at
// the switch, so the relayed stream's own gaps, reordering and timestamps
// survive (a telephone-event's packets keep one timestamp, RFC 4733 §2.5.1.2)
// and nothing is computed per packet but two additions.
type splice struct {
	on     bool   // offsets valid: the previous relayed packet was sent
	paused bool   // PauseRelay: relayed packets are dropped
	ssrc   uint32 // the relayed stream's SSRC
	seqOff uint16 // added to the relayed sequence numbers
	tsOff  uint32 // added to the relayed timestamps
}

// rtpHeaderSize is the fixed part of an RTP header (RFC 3550 §5.1), which
// holds everything splice rewrites.
const rtpHeaderSize = 12

// relay rewrites b, a valid RTP packet read on another leg, in place into the
// next packet of the stream, received at now; samples is its audio's length
// in timestamp units (0 for an event).
func (st *stream) relay(b []byte, samples uint32, now time.Time) {
	ssrc := binary.BigEndian.Uint32(b[8:12])
	seq := binary.BigEndian.Uint16(b[2:4])
	ts := binary.BigEndian.Uint32(b[4:8])
	if !st.splice.on || ssrc != st.splice.ssrc {
		// A switch: from a prompt or silence, or the relayed leg started a
		// new stream. Continue from where the stream is, after the gap.
		st.talkspurt(now)
		st.splice = splice{on: true, ssrc: ssrc, seqOff: st.seq - seq, tsOff: st.ts - ts}
	}
	seq += st.splice.seqOff
	ts += st.splice.tsOff
	binary.BigEndian.PutUint16(b[2:4], seq)
	binary.BigEndian.PutUint32(b[4:8], ts)
	binary.BigEndian.PutUint32(b[8:12], st.ssrc)
	if st.marker {
		b[1] |= 0x80
		st.marker = false
	}
	st.sent(payloadLen(b))
	if int16(seq-st.seq) >= 0 { // not a late packet: the stream moves on
		st.seq = seq + 1
	}
	if next := ts + samples; int32(next-st.ts) > 0 {
		st.ts = next
		st.end = now.Add(time.Duration(samples) * time.Second / ClockRate)
	}
}

// headerLen returns the length of valid RTP packet b's header with its
// CSRCs and extension (RFC 3550 §5.1, §5.3.1), at most len(b).
func headerLen(b []byte) int {
	n := rtpHeaderSize + 4*int(b[0]&0x0F)
	if b[0]&0x10 != 0 && len(b) >= n+4 {
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:n+4]))
	}
	return min(n, len(b))
}

// payloadLen returns the length of valid RTP packet b's payload: what
// follows the header, its CSRCs and its extension, less the padding (RFC
// 3550 §5.1, §5.3.1).
func payloadLen(b []byte) int {
	n := headerLen(b)
	if b[0]&0x20 != 0 && len(b) > 0 {
		n += int(b[len(b)-1])
	}
	return max(len(b)-n, 0)
}
