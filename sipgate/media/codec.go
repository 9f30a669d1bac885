package media

import "strconv"

// Codec is an audio codec the gateway speaks. Its value is the codec's static
// RTP payload type (RFC 3551 §6, table 4): both G.711 laws are 8 kHz, mono,
// one byte per sample (RFC 3551 §4.5.14).
type Codec uint8

// The G.711 codecs (ITU-T G.711).
const (
	PCMU Codec = 0 // μ-law, static payload type 0
	PCMA Codec = 8 // A-law, static payload type 8
)

const (
	// ClockRate is the RTP clock rate of G.711 and of the telephone-events
	// the gateway accepts (RFC 3551 §4.5.14, RFC 4733 §2.1).
	ClockRate = 8000
	// FrameSamples is the number of samples, and so bytes, in one 20 ms
	// G.711 packet (RFC 3551 §4.2: the default packetisation is 20 ms).
	FrameSamples = 160
)

// PayloadType returns the codec's static RTP payload type.
func (c Codec) PayloadType() uint8 { return uint8(c) }

// String returns the codec's encoding name as in an a=rtpmap line.
func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "Codec(" + strconv.Itoa(int(c)) + ")"
}

// index numbers the codecs 0, 1 for small per-codec tables.
func (c Codec) index() int {
	if c == PCMA {
		return 1
	}
	return 0
}

// Valid reports whether c is one of the codecs the package implements.
func (c Codec) Valid() bool { return c == PCMU || c == PCMA }
