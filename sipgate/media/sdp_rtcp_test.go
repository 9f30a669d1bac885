package media

import (
	"strings"
	"testing"
)

// The answer takes a=rtcp-mux only when offered, and RTCP goes where the
// offer says: a=rtcp (RFC 3605), else the RTP port + 1 (RFC 3550 §11).
func TestNegotiateRTCP(t *testing.T) {
	tests := []struct {
		name  string
		offer []byte
		rtcp  string
		mux   bool
	}{
		{"default port + 1", offer("m=audio 4000 RTP/AVP 0"), "192.0.2.10:4001", false},
		{"rtcp-mux", offer("m=audio 4000 RTP/AVP 0", "a=rtcp-mux"), "192.0.2.10:4000", true},
		{"rtcp-mux and a=rtcp", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:4000", "a=rtcp-mux"), "192.0.2.10:4000", true},
		{"a=rtcp port", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:5999"), "192.0.2.10:5999", false},
		{"a=rtcp port and address", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:53020 IN IP4 198.51.100.9"), "198.51.100.9:53020", false},
		{"a=rtcp IPv6 address", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:53020 IN IP6 2001:db8::9"), "[2001:db8::9]:53020", false},
		{"a=rtcp malformed", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:x"), "192.0.2.10:4001", false},
		{"a=rtcp port 0", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:0"), "192.0.2.10:4001", false},
		{"a=rtcp multicast", offer("m=audio 4000 RTP/AVP 0", "a=rtcp:5000 IN IP4 224.0.0.1"), "192.0.2.10:4001", false},
		{"rtcp-mux at session level only", offer("a=rtcp-mux", "m=audio 4000 RTP/AVP 0"), "192.0.2.10:4001", false},
		{"baresip", baresipOffer, "192.0.2.20:10000", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := Negotiate(tt.offer, testLocal)
			if err != nil {
				t.Fatal(err)
			}
			if ans.RTCP.String() != tt.rtcp || ans.RTCPMux != tt.mux {
				t.Errorf("RTCP %v mux %v, want %s %v", ans.RTCP, ans.RTCPMux, tt.rtcp, tt.mux)
			}
			if got := strings.Contains(string(ans.SDP), "a=rtcp-mux\r\n"); got != tt.mux {
				t.Errorf("answer has a=rtcp-mux: %v, want %v\n%s", got, tt.mux, ans.SDP)
			}
			checkAnswer(t, ans, 1, 0)
		})
	}
}

// LiveKit's answer to a bridge offer cannot turn multiplexing on.
func TestParseBridgeAnswerRTCP(t *testing.T) {
	caller := Answer{Codec: PCMU, PT: 0}
	const head = "v=0\r\no=lk 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n"
	for body, want := range map[string]string{
		head:                     "10.0.0.9:5005",
		head + "a=rtcp:6000\r\n": "10.0.0.9:6000",
		head + "a=rtcp-mux\r\n":  "10.0.0.9:5005",
	} {
		ans, err := ParseBridgeAnswer([]byte(body), caller)
		if err != nil {
			t.Fatal(err)
		}
		if ans.RTCP.String() != want || ans.RTCPMux {
			t.Errorf("%q: RTCP %v mux %v, want %s", body, ans.RTCP, ans.RTCPMux, want)
		}
	}
	offer := string(BridgeOffer(testLocal, caller))
	if strings.Contains(offer, "rtcp") {
		t.Errorf("bridge offer mentions RTCP:\n%s", offer)
	}
}
