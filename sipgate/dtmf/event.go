package dtmf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EventSize is the size of one RFC 4733 event report (§2.3): event(8) | E(1) R(1) volume(6) | duration(16).
const EventSize = 4

// Event codes of RFC 4733 §3.2 that are not digits.
const (
	// EventFlash is the hook flash (RFC 4733 §3.2); it carries no digit.
	EventFlash uint8 = 16
)

// ErrShortPayload is returned by [ParseEvent] for a payload shorter than one event report.
var ErrShortPayload = errors.New("dtmf: telephone-event payload shorter than 4 bytes")

// Event is one RFC 4733 event report (§2.3).
type Event struct {
	// Code is the event code (§2.3.1); 0–15 are the DTMF keys of §3.2, see [Digit].
	Code uint8
	// End is the E bit (§2.3.2): set on the final packet of the event, which the sender repeats (§2.5.1.4).
	End bool
	// Volume is the power level in -dBm0 (§2.3.4), six bits.
	Volume uint8
	// Duration is the time since the event began, in RTP timestamp units (§2.3.5). It may be 0 in the
	// first packet (sipp sends that), so it is never used to tell a new key from an old one.
	Duration uint16
}

// ParseEvent reads the first event report of a telephone-event payload (RFC 4733 §2.3).
//
// The R bit (§2.3.3, reserved) is ignored because some senders set it, and the volume is masked to its six
// bits. A payload may pack several consecutive reports (§2.5.1.5); only the first is returned, because its
// start is the packet's RTP timestamp, the key a receiver identifies events by. Bytes after the first report
// are ignored: a packed key would be lost, never invented. No sender we interoperate with packs DTMF events
// (they come one report per packet, in real time); redundancy (RFC 2198) has a payload type of its own and
// never reaches this function.
func ParseEvent(payload []byte) (Event, error) {
	if len(payload) < EventSize {
		return Event{}, fmt.Errorf("parse event (%d bytes): %w", len(payload), ErrShortPayload)
	}
	return Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3F,
		Duration: binary.BigEndian.Uint16(payload[2:4]),
	}, nil
}

// Digit maps an RFC 4733 §3.2 event code to its key: 0–9 to '0'–'9', 10 to '*', 11 to '#', 12–15 to
// 'A'–'D'. Any other code (16 is flash, higher codes are tones and signals) has no digit: ok is false.
func Digit(code uint8) (digit byte, ok bool) {
	switch {
	case code <= 9:
		return '0' + code, true
	case code == 10:
		return '*', true
	case code == 11:
		return '#', true
	case code <= 15:
		return 'A' + code - 12, true
	}
	return 0, false
}

// IsDigit reports whether d is one of the sixteen DTMF keys '0'–'9', '*', '#', 'A'–'D'.
func IsDigit(d byte) bool {
	return d >= '0' && d <= '9' || d == '*' || d == '#' || d >= 'A' && d <= 'D'
}
