package caller

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// eventPT is the telephone-event payload type the caller offers.
const eventPT = 101

// offer is the caller's SDP (RFC 4566): PCMU and telephone-event on port, from ip.
func offer(ip netip.Addr, port uint16, session uint64) []byte {
	return fmt.Appendf(nil, "v=0\r\no=- %d 1 IN IP4 %s\r\ns=meetline-loadtest\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 %d\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:%d telephone-event/8000\r\n"+
		"a=fmtp:%d 0-15\r\na=ptime:20\r\na=sendrecv\r\n", session, ip, ip, port, eventPT, eventPT, eventPT)
}

// answer is what the caller needs from sipgate's SDP answer.
type answer struct {
	addr    netip.AddrPort // where to send RTP: the c= address and the audio port
	eventPT uint8          // telephone-event's payload type in the answer (RFC 3264 §6.1 lets it differ)
}

// parseAnswer reads the session-level (or first media-level) c= address, the first m=audio port and the
// telephone-event payload type of an SDP answer.
func parseAnswer(sdp []byte) (answer, error) {
	var ip netip.Addr
	var port uint64
	a := answer{eventPT: eventPT}
	for line := range strings.SplitSeq(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "c=IN IP4 ") && !ip.IsValid():
			v, _, _ := strings.Cut(strings.TrimPrefix(line, "c=IN IP4 "), "/")
			ip, _ = netip.ParseAddr(v)
		case strings.HasPrefix(line, "m=audio ") && port == 0:
			if f := strings.Fields(strings.TrimPrefix(line, "m=audio ")); len(f) > 0 {
				if n, err := strconv.ParseUint(f[0], 10, 16); err == nil {
					port = n
				}
			}
		case strings.HasPrefix(line, "a=rtpmap:") && strings.Contains(strings.ToLower(line), "telephone-event/8000"):
			pt, _, _ := strings.Cut(strings.TrimPrefix(line, "a=rtpmap:"), " ")
			if n, err := strconv.ParseUint(pt, 10, 7); err == nil {
				a.eventPT = uint8(n)
			}
		}
	}
	if !ip.IsValid() || port == 0 {
		return answer{}, errors.New("caller: no c= address or audio port in the SDP answer")
	}
	a.addr = netip.AddrPortFrom(ip, uint16(port))
	return a, nil
}
