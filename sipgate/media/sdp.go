package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/pion/sdp/v3"
)

var (
	// ErrMalformedSDP means the offer is not a usable SDP body (RFC 4566):
	// it does not parse, or the chosen stream has no connection address.
	// The call layer answers 400 Bad Request.
	ErrMalformedSDP = errors.New("media: malformed SDP")
	// ErrNoCodec means the offer has no active RTP/AVP audio stream with
	// PCMU or PCMA (RFC 3264 §6: every stream rejected). The call layer
	// answers 488 Not Acceptable Here.
	ErrNoCodec = errors.New("media: no acceptable audio stream or codec")
)

// Answer is the outcome of negotiating an offer (RFC 3264 §6).
type Answer struct {
	// Codec is the offerer's most preferred codec among those accepted.
	Codec Codec
	// PT is the payload type the offer gave Codec: its static one (0, 8)
	// unless the offer mapped it to a dynamic one, which the answer echoes.
	PT uint8
	// EventPT is the offer's telephone-event/8000 payload type (RFC 4733
	// §2.2, echoed in the answer), or 0 when none was offered.
	EventPT uint8
	// Remote is where to send RTP: the stream's c= address (media level,
	// else session level; RFC 4566 §5.7) and m= port.
	Remote netip.AddrPort
	// Direction is ours, as written in the answer: the offer's reversed
	// (RFC 3264 §6.1), so SendRecv unless the caller holds the call.
	Direction Direction
	// Hold is true when the offer puts the stream on hold: a=sendonly or
	// a=inactive (RFC 3264 §8.4), or the RFC 2543 form c=0.0.0.0.
	Hold bool
	// RTCPMux is true when the offer multiplexes RTCP on the RTP port
	// (a=rtcp-mux, RFC 5761): the answer accepts it, and the session
	// sends RTCP on its RTP socket (WithRTCPMux). Never set by
	// ParseBridgeAnswer: the bridge offer does not ask for it.
	RTCPMux bool
	// RTCP is where to send RTCP: Remote when multiplexed, else the port
	// (and address) of the offer's a=rtcp attribute (RFC 3605), else
	// Remote's port + 1 (RFC 3550 §11).
	RTCP netip.AddrPort
	// SDP is the answer body to send with 200 OK (application/sdp).
	SDP []byte
}

// Option tunes Negotiate.
type Option func(*config)

type config struct {
	codecs     []Codec
	sessID     uint64
	sessVer    uint64
	sessionSet bool
}

// WithCodecs restricts the codecs accepted (default PCMU and PCMA). Among
// them the offerer's order of preference decides, not the order given here.
func WithCodecs(codecs ...Codec) Option {
	return func(c *config) { c.codecs = codecs }
}

// WithSession sets the o= line's session id and version (RFC 4566 §5.2);
// the default is a random id and version 1. A re-answer within the same
// dialog keeps the id and increments the version.
func WithSession(id, version uint64) Option {
	return func(c *config) { c.sessID, c.sessVer, c.sessionSet = id, version, true }
}

func newConfig(opts []Option) config {
	c := config{codecs: []Codec{PCMU, PCMA}}
	for _, o := range opts {
		o(&c)
	}
	if !c.sessionSet {
		c.sessID, c.sessVer = rand.Uint64()>>2, 1
	}
	return c
}

// Negotiate answers an SDP offer (RFC 3264 §6, RFC 4566) for a gateway
// receiving RTP at local, which must be the address the caller can reach
// (not 0.0.0.0). It takes the first active RTP/AVP audio stream that carries
// an accepted codec, picks the offerer's most preferred codec there, keeps
// telephone-event/8000 if offered, accepts a=rtcp-mux if offered (RFC 5761),
// and rejects every other stream with port 0 so that the answer has as many
// m= lines as the offer (RFC 3264 §6).
// Errors wrap ErrMalformedSDP (answer 400) or ErrNoCodec (answer 488).
func Negotiate(offer []byte, local netip.AddrPort, opts ...Option) (Answer, error) {
	cfg := newConfig(opts)
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(offer); err != nil {
		return Answer{}, fmt.Errorf("%w: %v", ErrMalformedSDP, err)
	}
	if sd.Origin.Username == "" || sd.SessionName == "" || len(sd.TimeDescriptions) == 0 {
		// The parser accepts an empty or truncated body; RFC 4566 §5 does not.
		return Answer{}, fmt.Errorf("%w: missing o=, s= or t= line", ErrMalformedSDP)
	}
	idx, ch, err := selectStream(&sd, cfg.codecs)
	if err != nil {
		return Answer{}, err
	}
	md := sd.MediaDescriptions[idx]
	addr, err := connectionAddr(&sd, md)
	if err != nil {
		return Answer{}, err
	}
	offered := direction(&sd, md)
	ans := Answer{
		Codec:     ch.codec,
		PT:        ch.pt,
		EventPT:   ch.eventPT,
		Remote:    netip.AddrPortFrom(addr, uint16(md.MediaName.Port.Value)),
		Direction: offered.reverse(),
		Hold:      offered == SendOnly || offered == Inactive || addr.IsUnspecified(),
	}
	ans.RTCP, ans.RTCPMux = rtcpOf(md, ans.Remote)
	ans.SDP = writeAnswer(&sd, idx, ans, local, cfg)
	return ans, nil
}

// Offer writes an SDP offer (RFC 3264 §5) for an outbound leg receiving RTP
// at local: one sendrecv audio stream with codecs in order of preference
// (default PCMU, PCMA) and telephone-event on payload type 101.
func Offer(local netip.AddrPort, codecs ...Codec) []byte {
	if len(codecs) == 0 {
		codecs = []Codec{PCMU, PCMA}
	}
	return writeOffer(local, codecs, newConfig(nil))
}
