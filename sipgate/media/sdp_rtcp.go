package media

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// rtcpOf reads where the peer of stream md, whose RTP goes to rtp, takes its
// RTCP: on the RTP port when it offers a=rtcp-mux (RFC 5761 §5.1.1), else on
// the port (and address) of its a=rtcp attribute (RFC 3605), else on the RTP
// port + 1 (RFC 3550 §11). A malformed a=rtcp is ignored for the default.
func rtcpOf(md *sdp.MediaDescription, rtp netip.AddrPort) (addr netip.AddrPort, mux bool) {
	if _, mux = md.Attribute("rtcp-mux"); mux {
		return rtp, true
	}
	if v, ok := md.Attribute("rtcp"); ok {
		if a, ok := parseRTCPAttr(v, rtp.Addr()); ok {
			return a, false
		}
	}
	if rtp.Port() == 0 || rtp.Port() == 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(rtp.Addr(), rtp.Port()+1), false
}

// parseRTCPAttr parses an a=rtcp value, "<port> [IN IP4|IP6 <address>]"
// (RFC 3605 §2.1); the address defaults to the stream's.
func parseRTCPAttr(v string, def netip.Addr) (netip.AddrPort, bool) {
	f := strings.Fields(v)
	if len(f) != 1 && len(f) != 4 {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, false
	}
	addr := def
	if len(f) == 4 {
		if f[1] != "IN" {
			return netip.AddrPort{}, false
		}
		if addr, err = netip.ParseAddr(f[3]); err != nil || addr.IsMulticast() {
			return netip.AddrPort{}, false
		}
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), true
}
