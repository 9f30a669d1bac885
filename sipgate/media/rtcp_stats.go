package media

// Sequence number jumps (RFC 3550 A.1): within maxDropout ahead is loss,
// within maxMisorder behind is reordering, anything else a restart.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// reception is what a session counts of the stream its peer sends, for the
// report block it sends back (RFC 3550 A.1, A.3, A.8).
type reception struct {
	ssrc      uint32
	started   bool
	maxSeq    uint16
	cycles    uint32 // sequence number wraps, << 16
	baseSeq   uint32
	received  uint32
	expPrior  uint32 // expected at the previous report
	recvPrior uint32 // received at the previous report
	lastTS    uint32
	transit   uint32 // arrival - timestamp of the previous packet
	jitter    uint32 // interarrival jitter × 16 (A.8)
}

// add counts one packet, arrived at arrival (in timestamp units).
func (r *reception) add(ssrc uint32, seq uint16, ts, arrival uint32) {
	if !r.started || ssrc != r.ssrc {
		*r = reception{ssrc: ssrc, started: true, maxSeq: seq, baseSeq: uint32(seq), received: 1, lastTS: ts, transit: arrival - ts}
		return
	}
	switch delta := seq - r.maxSeq; {
	case delta == 0: // a duplicate
	case delta < maxDropout:
		if seq < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = seq
	case delta <= 1<<16-maxMisorder:
		// The peer restarted its numbering: count afresh (A.1 waits for
		// a second packet to confirm; a peer on a trunk does not play).
		*r = reception{ssrc: ssrc, started: true, maxSeq: seq, baseSeq: uint32(seq), lastTS: ts, transit: arrival - ts, jitter: r.jitter}
	}
	r.received++
	if ts == r.lastTS { // an event's updates share their start: no transit
		return
	}
	transit := arrival - ts
	d := int32(transit - r.transit)
	if d < 0 {
		d = -d
	}
	r.transit, r.lastTS = transit, ts
	r.jitter += uint32(d) - (r.jitter+8)>>4
}

// block is the report block on the stream (A.3), and starts the next
// reporting interval.
func (r *reception) block() reportBlock {
	ext := r.cycles + uint32(r.maxSeq)
	expected := ext - r.baseSeq + 1
	lost := int64(expected) - int64(r.received)
	lost = min(max(lost, -1<<23), 1<<23-1)
	expInt, recvInt := expected-r.expPrior, r.received-r.recvPrior
	r.expPrior, r.recvPrior = expected, r.received
	var fraction uint8
	if lostInt := int64(expInt) - int64(recvInt); expInt != 0 && lostInt > 0 {
		fraction = uint8(min(lostInt<<8/int64(expInt), 255))
	}
	return reportBlock{ssrc: r.ssrc, fraction: fraction, lost: int32(lost), highest: ext, jitter: r.jitter >> 4}
}
