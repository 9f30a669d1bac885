package media

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// The SDP the gateway writes (RFC 4566 §5, CRLF line ends): one origin and
// session-level c= line, t=0 0 (a permanent session, RFC 3264 §5), and the
// audio stream with ptime 20 (RFC 4566 §6) and telephone-event events 0-16
// (RFC 4733 §2.4.1: DTMF and flash). RTCP goes to the RTP port + 1 (RFC
// 3550 §11), or to the RTP port when the offer asked for a=rtcp-mux.

// outboundEventPT is the telephone-event payload type of our own offers: the
// one most peers use (RFC 4733 leaves it dynamic).
const outboundEventPT = 101

type format struct {
	pt   uint8
	name string
}

func writeAnswer(sd *sdp.SessionDescription, chosen int, ans Answer, local netip.AddrPort, cfg config) []byte {
	b := sessionHeader(make([]byte, 0, 384), local.Addr(), cfg)
	for i, md := range sd.MediaDescriptions {
		if i != chosen {
			b = rejectedStream(b, md)
			continue
		}
		proto := strings.Join(md.MediaName.Protos, "/")
		formats := []format{{ans.PT, ans.Codec.String()}}
		b = audioStream(b, local.Port(), proto, formats, ans.EventPT, ans.Direction)
		if ans.RTCPMux { // only when offered (RFC 5761 §5.1.1)
			b = append(b, "a=rtcp-mux\r\n"...)
		}
	}
	return b
}

func writeOffer(local netip.AddrPort, codecs []Codec, cfg config) []byte {
	formats := make([]format, 0, len(codecs))
	for _, c := range codecs {
		if c.Valid() {
			formats = append(formats, format{c.PayloadType(), c.String()})
		}
	}
	b := sessionHeader(make([]byte, 0, 384), local.Addr(), cfg)
	return audioStream(b, local.Port(), "RTP/AVP", formats, outboundEventPT, SendRecv)
}

func sessionHeader(b []byte, addr netip.Addr, cfg config) []byte {
	addr = addr.Unmap()
	conn := "IN IP6 " + addr.String()
	if addr.Is4() {
		conn = "IN IP4 " + addr.String()
	}
	b = append(b, "v=0\r\no=meetline "...)
	b = strconv.AppendUint(b, cfg.sessID, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, cfg.sessVer, 10)
	b = append(b, ' ')
	b = append(b, conn...)
	b = append(b, "\r\ns=meetline\r\nc="...)
	b = append(b, conn...)
	return append(b, "\r\nt=0 0\r\n"...)
}

func audioStream(b []byte, port uint16, proto string, formats []format, eventPT uint8, dir Direction) []byte {
	b = append(b, "m=audio "...)
	b = strconv.AppendUint(b, uint64(port), 10)
	b = append(b, ' ')
	b = append(b, proto...)
	for _, f := range formats {
		b = strconv.AppendUint(append(b, ' '), uint64(f.pt), 10)
	}
	if eventPT != 0 {
		b = strconv.AppendUint(append(b, ' '), uint64(eventPT), 10)
	}
	b = append(b, "\r\n"...)
	for _, f := range formats {
		b = rtpmap(b, f.pt, f.name)
	}
	if eventPT != 0 {
		b = rtpmap(b, eventPT, "telephone-event")
		b = strconv.AppendUint(append(b, "a=fmtp:"...), uint64(eventPT), 10)
		b = append(b, " 0-16\r\n"...)
	}
	b = append(b, "a=ptime:20\r\na="...)
	b = append(b, dir.String()...)
	return append(b, "\r\n"...)
}

func rtpmap(b []byte, pt uint8, name string) []byte {
	b = strconv.AppendUint(append(b, "a=rtpmap:"...), uint64(pt), 10)
	b = append(b, ' ')
	b = append(b, name...)
	return append(b, "/8000\r\n"...)
}

// rejectedStream answers a stream we do not take with port 0 and the same
// media, transport and first format (RFC 3264 §6).
func rejectedStream(b []byte, md *sdp.MediaDescription) []byte {
	f := "0"
	if len(md.MediaName.Formats) > 0 {
		f = md.MediaName.Formats[0]
	}
	b = append(b, "m="...)
	b = append(b, md.MediaName.Media...)
	b = append(b, " 0 "...)
	b = append(b, strings.Join(md.MediaName.Protos, "/")...)
	b = append(b, ' ')
	b = append(b, f...)
	return append(b, "\r\n"...)
}
