package dtmf

// HistorySize is the number of recent events an [RTPCollector] remembers to recognise their late packets:
// key presses, and the segments of long ones. Sixteen keys span several seconds of typing, far longer than
// any packet stays in the network.
const HistorySize = 16

// Long-duration events (RFC 4733 §2.5.1.3): an event longer than the 16-bit duration field can say is sent
// as segments; each one after the first starts under the timestamp where the previous one ended, which is
// the previous timestamp + 0xFFFF. A sender that closes segments on a whole packet (65440 units at 20 ms)
// starts the next one a little earlier, so any start from minSegment to maxSegment units after an unended
// segment of the same key continues it.
const (
	maxSegment = 0xFFFF
	minSegment = maxSegment - 16*160 // 320 ms short of the maximum
)

// eventKey identifies one key press in an RTP stream. Every packet of an event carries the RTP timestamp of
// the event's start (RFC 4733 §2.2.1), so (SSRC, timestamp) names the event. The code is part of the key
// too: it never changes within an event, and it keeps apart two different keys that a careless sender stamps
// alike (sipp replaying two pcaps recorded with the same SSRC and timestamps).
type eventKey struct {
	ssrc      uint32
	timestamp uint32
	code      uint8
}

// event is what an [RTPCollector] remembers of one event, or of one segment of a long one.
type event struct {
	key      eventKey
	duration uint16 // the longest duration reported so far
	ended    bool   // a packet with the E bit arrived
}

// RTPCollector turns RFC 4733 telephone-event packets into key presses, each exactly once.
//
// A key is reported at the FIRST packet seen for it, whatever that packet says, for the lowest latency and
// because no later packet is guaranteed to arrive:
//
//   - the first packet may have duration 0 (sipp), so duration never decides anything;
//   - the final packet, with the E bit, is sent three times (§2.5.1.4), sometimes with one sequence number
//     for all three (sipp's pcaps), so sequence numbers are not used either;
//   - when the first packets are lost, the first packet that arrives, even an end packet, reports the key:
//     every packet names its event by the start timestamp, and the repeated updates and end packets are the
//     format's only protection against loss (§2.6);
//   - when the end packets are lost, nothing is lost: the key was reported at its first packet;
//   - events may overlap in RTP time (sipp's play_dtmf starts a digit every 400 timestamp units and lets it
//     last 1600): a new timestamp is a new key whether or not the previous one has ended;
//   - except for a long key (RFC 4733 §2.5.1.3, held longer than 0xFFFF units, 8.2 s at 8 kHz): its next
//     segment starts under the timestamp where the previous one ended, 0xFFFF later, and continues the
//     same key. A new timestamp of the same SSRC and code is such a segment when it lies 0xFFFF (or, for a
//     sender that closes segments on a whole packet, up to 320 ms less) after an event that has not ended
//     and not yet reported a longer duration, or as far before a remembered event while itself unended
//     (the late first packets of the previous segment). The limit: a key whose three end packets were all
//     lost, and the same key pressed again 8 to 8.2 s after it began, are counted once.
//
// The collector remembers the last [HistorySize] events (keys and segments) in a ring, so packets of an
// older key that arrive late are not counted again; a key older than that is counted again, which needs a
// packet delayed by more than sixteen key presses. It does not check the payload type: pass only packets of the telephone-event
// payload type negotiated in SDP (sipp's play_dtmf also sends PT 97 filler packets that would parse as '0').
//
// The zero value is ready to use. Add does not allocate. An RTPCollector is not safe for concurrent use:
// use one per call, fed by the goroutine that reads the call's RTP (or guarded, as [Receiver] does).
type RTPCollector struct {
	history [HistorySize]event
	next    int // ring index of the slot to overwrite next
	filled  int // slots in use, up to HistorySize
}

// Add takes one telephone-event packet — its SSRC, RTP timestamp and payload — and returns the key it
// starts, or ok false when the packet continues or repeats a key already reported, is malformed, or carries
// an event that is not a DTMF key (flash, tones).
func (c *RTPCollector) Add(ssrc, timestamp uint32, payload []byte) (digit byte, ok bool) {
	ev, err := ParseEvent(payload)
	if err != nil {
		return 0, false
	}
	digit, ok = Digit(ev.Code)
	if !ok {
		return 0, false
	}
	key := eventKey{ssrc: ssrc, timestamp: timestamp, code: ev.Code}
	if e := c.find(key); e != nil {
		e.update(ev)
		return 0, false
	}
	continued := c.continues(key, ev)
	c.remember(key, ev)
	if continued {
		return 0, false
	}
	return digit, true
}

// Reset forgets every key, for reuse of the collector on another call.
func (c *RTPCollector) Reset() {
	*c = RTPCollector{}
}

// find returns the remembered event of key, or nil.
func (c *RTPCollector) find(key eventKey) *event {
	for i := range c.filled {
		if c.history[i].key == key {
			return &c.history[i]
		}
	}
	return nil
}

// continues reports whether key, reported by ev, is a segment of a remembered long event (RFC 4733
// §2.5.1.3): the next one, starting where an unended event ends, or, when the first packets of a segment
// arrive after the next segment's, the previous one, which never ends and ends where the remembered one
// starts.
func (c *RTPCollector) continues(key eventKey, ev Event) bool {
	for i := range c.filled {
		e := &c.history[i]
		if e.key.ssrc != key.ssrc || e.key.code != key.code {
			continue
		}
		// Unsigned arithmetic: timestamps wrap around.
		if gap := key.timestamp - e.key.timestamp; !e.ended && segmentGap(gap, e.duration) {
			return true
		}
		if gap := e.key.timestamp - key.timestamp; !ev.End && segmentGap(gap, ev.Duration) {
			return true
		}
	}
	return false
}

// segmentGap reports whether two event reports gap units apart can be consecutive segments of one event
// whose first one has reported duration so far.
func segmentGap(gap uint32, duration uint16) bool {
	return gap >= minSegment && gap <= maxSegment && gap >= uint32(duration)
}

func (c *RTPCollector) remember(key eventKey, ev Event) {
	c.history[c.next] = event{key: key}
	c.history[c.next].update(ev)
	c.next = (c.next + 1) % HistorySize
	if c.filled < HistorySize {
		c.filled++
	}
}

// update records one more packet of the event.
func (e *event) update(ev Event) {
	e.duration = max(e.duration, ev.Duration)
	e.ended = e.ended || ev.End
}
