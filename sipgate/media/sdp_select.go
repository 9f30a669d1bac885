package media

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// choice is what the offer's chosen stream gives us.
type choice struct {
	codec   Codec
	pt      uint8
	eventPT uint8
}

// selectStream returns the index of the first audio stream that is active
// (port ≠ 0, RFC 3264 §6), plain RTP (RTP/AVP or RTP/AVPF: no SRTP), and
// carries an accepted codec, with what was chosen in it.
func selectStream(sd *sdp.SessionDescription, accepted []Codec) (int, choice, error) {
	audio := false
	for i, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		audio = true
		if md.MediaName.Port.Value == 0 || !isPlainRTP(md.MediaName.Protos) {
			continue
		}
		if ch, ok := chooseFormats(md, accepted); ok {
			return i, ch, nil
		}
	}
	if !audio {
		return -1, choice{}, fmt.Errorf("%w: no audio stream offered", ErrNoCodec)
	}
	return -1, choice{}, fmt.Errorf("%w: no active RTP/AVP audio stream with %v", ErrNoCodec, accepted)
}

func isPlainRTP(protos []string) bool {
	return len(protos) == 2 && protos[0] == "RTP" && (protos[1] == "AVP" || protos[1] == "AVPF")
}

// chooseFormats walks the m= line's formats in the offerer's order of
// preference (RFC 3264 §5.1): the first accepted G.711 codec wins, and the
// first telephone-event/8000 is kept (RFC 4733 §2.2: its payload type is
// dynamic and the answer echoes it).
func chooseFormats(md *sdp.MediaDescription, accepted []Codec) (choice, bool) {
	var ch choice
	found := false
	for _, f := range md.MediaName.Formats {
		pt64, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(pt64)
		name, rate, channels, ok := encoding(md, pt)
		if !ok || rate != ClockRate || channels > 1 {
			continue
		}
		switch {
		case strings.EqualFold(name, "telephone-event"):
			if ch.eventPT == 0 {
				ch.eventPT = pt
			}
		case !found:
			if c, ok := codecNamed(name); ok && slices.Contains(accepted, c) {
				ch.codec, ch.pt, found = c, pt, true
			}
		}
	}
	return ch, found
}

// encoding returns the a=rtpmap of payload type pt (RFC 4566 §6: "rtpmap:
// <pt> <name>/<rate>[/<channels>]"), or without one the static assignment
// of RFC 3551 §6 for the two codecs we know. channels is 0 when not given.
func encoding(md *sdp.MediaDescription, pt uint8) (name string, rate, channels uint64, ok bool) {
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		num, rest, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
		if n, err := strconv.ParseUint(num, 10, 7); err != nil || uint8(n) != pt {
			continue
		}
		return parseRtpmap(strings.TrimSpace(rest))
	}
	switch Codec(pt) {
	case PCMU, PCMA:
		return Codec(pt).String(), ClockRate, 0, true
	}
	return "", 0, 0, false
}

func parseRtpmap(s string) (name string, rate, channels uint64, ok bool) {
	name, s, _ = strings.Cut(s, "/")
	r, ch, hasCh := strings.Cut(s, "/")
	rate, err := strconv.ParseUint(r, 10, 32)
	if err != nil || name == "" {
		return "", 0, 0, false
	}
	if hasCh {
		if channels, err = strconv.ParseUint(ch, 10, 8); err != nil {
			return "", 0, 0, false
		}
	}
	return name, rate, channels, true
}

func codecNamed(name string) (Codec, bool) {
	switch {
	case strings.EqualFold(name, "PCMU"):
		return PCMU, true
	case strings.EqualFold(name, "PCMA"):
		return PCMA, true
	}
	return 0, false
}

// connectionAddr is the stream's c= address: media level, else session level
// (RFC 4566 §5.7, one of them is mandatory). A multicast address's /ttl and
// /range suffixes are cut, but multicast itself is not acceptable.
func connectionAddr(sd *sdp.SessionDescription, md *sdp.MediaDescription) (netip.Addr, error) {
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return netip.Addr{}, fmt.Errorf("%w: no c= line for the audio stream", ErrMalformedSDP)
	}
	host, _, _ := strings.Cut(ci.Address.Address, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: connection address %q is not an IP address", ErrMalformedSDP, host)
	}
	if addr.IsMulticast() {
		return netip.Addr{}, fmt.Errorf("%w: multicast connection address %s", ErrNoCodec, addr)
	}
	return addr.Unmap(), nil
}
