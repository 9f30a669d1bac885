package caller

// seqTracker counts one RTP stream's packets by sequence number, as RFC 3550 §6.4.1 and appendix A.3
// count a source's loss: extended to 64 bits so that a wrap of the 16-bit number is no loss, expected =
// highest − first + 1, lost = expected − received. Packets sent after the last one received (in flight
// when the call ends) are not counted as lost; duplicates count as received, so loss is floored at 0.
type seqTracker struct {
	started  bool
	first    uint64
	max      uint64
	received uint64
}

// seqOffset keeps extended numbers away from zero, so that a packet reordered before the first one
// received extends below it without underflow.
const seqOffset = 1 << 32

// add counts a packet with sequence number seq and returns its extended number.
func (t *seqTracker) add(seq uint16) uint64 {
	t.received++
	if !t.started {
		t.started = true
		t.first = seqOffset + uint64(seq)
		t.max = t.first
		return t.first
	}
	// The extension of seq closest to the highest number seen so far.
	ext := t.max&^0xffff | uint64(seq)
	switch {
	case ext+0x8000 < t.max:
		ext += 0x10000
	case ext > t.max+0x8000:
		ext -= 0x10000
	}
	if ext > t.max {
		t.max = ext
	}
	if ext < t.first {
		t.first = ext
	}
	return ext
}

// expected is how many packets the numbers received span.
func (t *seqTracker) expected() uint64 {
	if !t.started {
		return 0
	}
	return t.max - t.first + 1
}

// lost is how many packets of that span never arrived.
func (t *seqTracker) lost() uint64 {
	return t.expected() - min(t.received, t.expected())
}
