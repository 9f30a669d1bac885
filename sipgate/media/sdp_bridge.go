package media

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/pion/sdp/v3"
)

// BridgeOffer writes the offer of a bridging leg (RFC 3264 §5) receiving RTP
// at local: the caller's codec on the payload type the caller uses for it,
// and telephone-event on the caller's event payload type (none when the
// caller has none). Mirroring the caller's numbers is what lets a relay
// forward packets untouched between the two legs.
func BridgeOffer(local netip.AddrPort, caller Answer, opts ...Option) []byte {
	cfg := newConfig(opts)
	b := sessionHeader(make([]byte, 0, 384), local.Addr(), cfg)
	formats := []format{{caller.PT, caller.Codec.String()}}
	return audioStream(b, local.Port(), "RTP/AVP", formats, caller.EventPT, SendRecv)
}

// ParseBridgeAnswer reads the answer to a BridgeOffer: where to send RTP and
// whether the answerer kept the caller's codec on the same payload type (RFC
// 3264 §6.1 lets an answerer pick among the offered formats only; with one
// offered, anything else is a broken answer). The answer's SDP field is nil.
// Errors wrap ErrMalformedSDP or ErrNoCodec.
func ParseBridgeAnswer(answer []byte, caller Answer) (Answer, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(answer); err != nil {
		return Answer{}, fmt.Errorf("%w: %v", ErrMalformedSDP, err)
	}
	idx, ch, err := selectStream(&sd, []Codec{caller.Codec})
	if err != nil {
		return Answer{}, err
	}
	if ch.pt != caller.PT {
		return Answer{}, fmt.Errorf("%w: answer moved %s to payload type %d", ErrNoCodec, caller.Codec, ch.pt)
	}
	md := sd.MediaDescriptions[idx]
	addr, err := connectionAddr(&sd, md)
	if err != nil {
		return Answer{}, err
	}
	dir := direction(&sd, md)
	ans := Answer{
		Codec:     ch.codec,
		PT:        ch.pt,
		EventPT:   ch.eventPT,
		Remote:    netip.AddrPortFrom(addr, uint16(md.MediaName.Port.Value)),
		Direction: dir,
		Hold:      dir == SendOnly || dir == Inactive || addr.IsUnspecified(),
	}
	// An answer cannot turn multiplexing on when the offer did not ask
	// for it (RFC 5761 §5.1.1): RTCP goes to a=rtcp or port + 1.
	md.Attributes = slices.DeleteFunc(md.Attributes, func(a sdp.Attribute) bool { return a.Key == "rtcp-mux" })
	ans.RTCP, _ = rtcpOf(md, ans.Remote)
	return ans, nil
}
