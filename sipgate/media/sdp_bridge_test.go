package media

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestBridgeOfferMirrorsTheCaller(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40002")
	caller := Answer{Codec: PCMA, PT: 8, EventPT: 96}
	offer := string(BridgeOffer(local, caller, WithSession(7, 1)))
	for _, want := range []string{"m=audio 40002 RTP/AVP 8 96\r\n", "a=rtpmap:8 PCMA/8000\r\n", "a=rtpmap:96 telephone-event/8000\r\n", "c=IN IP4 127.0.0.1\r\n", "a=sendrecv\r\n"} {
		if !strings.Contains(offer, want) {
			t.Errorf("offer lacks %q:\n%s", want, offer)
		}
	}
	noEvents := string(BridgeOffer(local, Answer{Codec: PCMU, PT: 0}))
	if strings.Contains(noEvents, "telephone-event") || !strings.Contains(noEvents, "m=audio 40002 RTP/AVP 0\r\n") {
		t.Errorf("offer without caller events:\n%s", noEvents)
	}
}

func TestParseBridgeAnswer(t *testing.T) {
	caller := Answer{Codec: PCMU, PT: 0, EventPT: 101}
	const head = "v=0\r\no=lk 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
	tests := []struct {
		name   string
		sdp    string
		remote string
		hold   bool
		err    error
	}{
		{"ok", head + "m=audio 5004 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n", "10.0.0.9:5004", false, nil},
		{"hold", head + "m=audio 5004 RTP/AVP 0\r\na=sendonly\r\n", "10.0.0.9:5004", true, nil},
		{"other codec", head + "m=audio 5004 RTP/AVP 8\r\n", "", false, ErrNoCodec},
		{"moved payload type", head + "m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 PCMU/8000\r\n", "", false, ErrNoCodec},
		{"rejected stream", head + "m=audio 0 RTP/AVP 0\r\n", "", false, ErrNoCodec},
		{"garbage", "not sdp", "", false, ErrMalformedSDP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBridgeAnswer([]byte(tt.sdp), caller)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if got.Remote.String() != tt.remote || got.Hold != tt.hold || got.Codec != PCMU {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func FuzzParseBridgeAnswer(f *testing.F) {
	f.Add([]byte("v=0\r\no=lk 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0 101\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ans, err := ParseBridgeAnswer(b, Answer{Codec: PCMU, PT: 0, EventPT: 101})
		if err == nil && ans.Codec != PCMU {
			t.Fatalf("accepted another codec: %+v", ans)
		}
	})
}
