package caller

import (
	"net/netip"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name, sdp string
		want      netip.AddrPort
		pt        uint8
		ok        bool
	}{
		{"sipgate's", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20002 RTP/AVP 0 101\r\n" +
			"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n", netip.MustParseAddrPort("127.0.0.1:20002"), 101, true},
		{"another event type, LF only", "c=IN IP4 192.0.2.7\nm=audio 4000 RTP/AVP 8 96\na=rtpmap:96 TELEPHONE-EVENT/8000\n",
			netip.MustParseAddrPort("192.0.2.7:4000"), 96, true},
		{"no telephone-event", "c=IN IP4 192.0.2.7\nm=audio 4000 RTP/AVP 0\n", netip.MustParseAddrPort("192.0.2.7:4000"), eventPT, true},
		{"no port", "c=IN IP4 192.0.2.7\n", netip.AddrPort{}, 0, false},
		{"no address", "m=audio 4000 RTP/AVP 0\n", netip.AddrPort{}, 0, false},
		{"bad port", "c=IN IP4 192.0.2.7\nm=audio 70000 RTP/AVP 0\n", netip.AddrPort{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseAnswer([]byte(tt.sdp))
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (a.addr != tt.want || a.eventPT != tt.pt) {
				t.Errorf("got %v PT %d, want %v PT %d", a.addr, a.eventPT, tt.want, tt.pt)
			}
		})
	}
}

func TestOfferReadsBack(t *testing.T) {
	a, err := parseAnswer(offer(netip.MustParseAddr("127.0.0.1"), 31234, 7))
	if err != nil || a.addr != netip.MustParseAddrPort("127.0.0.1:31234") || a.eventPT != eventPT {
		t.Errorf("offer reads back as %+v, %v", a, err)
	}
}
