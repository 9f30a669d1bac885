package dtmf

// HistorySize is the number of recent key presses an [RTPCollector] remembers to recognise their late
// packets. Sixteen keys span several seconds of typing, far longer than any packet stays in the network.
const HistorySize = 16

// eventKey identifies one key press in an RTP stream. Every packet of an event carries the RTP timestamp of
// the event's start (RFC 4733 §2.2.1), so (SSRC, timestamp) names the event. The code is part of the key
// too: it never changes within an event, and it keeps apart two different keys that a careless sender stamps
// alike (sipp replaying two pcaps recorded with the same SSRC and timestamps).
type eventKey struct {
	ssrc      uint32
	timestamp uint32
	code      uint8
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
//     last 1600): a new timestamp is a new key whether or not the previous one has ended.
//
// The collector remembers the last [HistorySize] keys in a ring, so packets of an older key that arrive
// late are not counted again; a key older than that is counted again, which needs a packet delayed by more
// than sixteen key presses. It does not check the payload type: pass only packets of the telephone-event
// payload type negotiated in SDP (sipp's play_dtmf also sends PT 97 filler packets that would parse as '0').
//
// The zero value is ready to use. Add does not allocate. An RTPCollector is not safe for concurrent use:
// use one per call, fed by the goroutine that reads the call's RTP (or guarded, as [Receiver] does).
type RTPCollector struct {
	history [HistorySize]eventKey
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
	if c.seen(key) {
		return 0, false
	}
	c.remember(key)
	return digit, true
}

// Reset forgets every key, for reuse of the collector on another call.
func (c *RTPCollector) Reset() {
	*c = RTPCollector{}
}

func (c *RTPCollector) seen(key eventKey) bool {
	for i := range c.filled {
		if c.history[i] == key {
			return true
		}
	}
	return false
}

func (c *RTPCollector) remember(key eventKey) {
	c.history[c.next] = key
	c.next = (c.next + 1) % HistorySize
	if c.filled < HistorySize {
		c.filled++
	}
}
