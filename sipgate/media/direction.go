package media

import "github.com/pion/sdp/v3"

// Direction is a stream's direction attribute (RFC 3264 §5.1, §6.1), from
// the point of view of the side that writes it.
type Direction uint8

// Directions, sendrecv being the default when none is written.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

var directionNames = [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}

// String returns the attribute name, e.g. "sendonly".
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "inactive"
}

// Sends reports whether the side may send media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the side expects media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// reverse is the answerer's direction for an offered one (RFC 3264 §6.1).
func (d Direction) reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// direction reads the stream's direction: a media-level attribute wins over
// a session-level one (RFC 3264 §5.1); none means sendrecv.
func direction(sd *sdp.SessionDescription, md *sdp.MediaDescription) Direction {
	if d, ok := directionAttr(md.Attributes); ok {
		return d
	}
	d, _ := directionAttr(sd.Attributes)
	return d
}

func directionAttr(attrs []sdp.Attribute) (Direction, bool) {
	for _, a := range attrs {
		for d, name := range directionNames {
			if a.Key == name {
				return Direction(d), true
			}
		}
	}
	return SendRecv, false
}
