package media

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

var testLocal = netip.MustParseAddrPort("127.0.0.1:30000")

// sdpText joins lines with CRLF.
func sdpText(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

func offer(audio ...string) []byte {
	head := []string{"v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0"}
	return sdpText(append(head, audio...)...)
}

// sipp -sn uac's default body.
var sippOffer = sdpText("v=0", "o=user1 53655765 2353687637 IN IP4 127.0.0.1", "s=-",
	"c=IN IP4 127.0.0.1", "t=0 0", "m=audio 6000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000")

// What baresip 1.0 offers with its usual codec modules loaded.
var baresipOffer = sdpText("v=0", "o=- 2890844526 2890842807 IN IP4 192.0.2.20", "s=-",
	"c=IN IP4 192.0.2.20", "b=AS:64", "t=0 0",
	"m=audio 10000 RTP/AVP 96 9 97 98 0 8 100 101", "b=AS:64",
	"a=rtpmap:96 opus/48000/2", "a=fmtp:96 stereo=1;sprop-stereo=1",
	"a=rtpmap:9 G722/8000", "a=rtpmap:97 L16/8000", "a=rtpmap:98 G726-32/8000",
	"a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
	"a=rtpmap:100 telephone-event/48000", "a=fmtp:100 0-15",
	"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
	"a=rtcp-mux", "a=ptime:20", "a=sendrecv", "a=label:1", "a=ssrc:1234 cname:baresip")

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name      string
		offer     []byte
		opts      []Option
		err       error
		codec     Codec
		pt, ev    uint8
		remote    string
		dir       Direction
		hold      bool
		mLines    int
		chosenIdx int
	}{
		{name: "sipp default", offer: sippOffer, codec: PCMU, pt: 0, remote: "127.0.0.1:6000"},
		{name: "PCMU only", offer: offer("m=audio 4000 RTP/AVP 0"), codec: PCMU},
		{name: "PCMA only, no rtpmap", offer: offer("m=audio 4000 RTP/AVP 8"), codec: PCMA, pt: 8},
		{name: "PCMU then PCMA", offer: offer("m=audio 4000 RTP/AVP 0 8"), codec: PCMU},
		{name: "PCMA then PCMU", offer: offer("m=audio 4000 RTP/AVP 8 0"), codec: PCMA, pt: 8},
		{name: "restricted to PCMA", offer: offer("m=audio 4000 RTP/AVP 0 8"), opts: []Option{WithCodecs(PCMA)}, codec: PCMA, pt: 8},
		{name: "telephone-event 96", offer: offer("m=audio 4000 RTP/AVP 0 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"), codec: PCMU, ev: 96},
		{name: "telephone-event 101", offer: offer("m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000"), codec: PCMA, pt: 8, ev: 101},
		{name: "telephone-event case and clock", offer: offer("m=audio 4000 RTP/AVP 0 100 101", "a=rtpmap:100 telephone-event/16000", "a=rtpmap:101 Telephone-Event/8000"), codec: PCMU, ev: 101},
		{name: "rtpmap name case-insensitive, dynamic PT", offer: offer("m=audio 4000 RTP/AVP 110", "a=rtpmap:110 pcma/8000"), codec: PCMA, pt: 110},
		{name: "baresip many codecs", offer: baresipOffer, codec: PCMU, ev: 101, remote: "192.0.2.20:10000"},
		{name: "G.729 only", offer: offer("m=audio 4000 RTP/AVP 18", "a=rtpmap:18 G729/8000"), err: ErrNoCodec},
		{name: "PCMU at 16 kHz", offer: offer("m=audio 4000 RTP/AVP 96", "a=rtpmap:96 PCMU/16000"), err: ErrNoCodec},
		{name: "video only", offer: offer("m=video 4002 RTP/AVP 96", "a=rtpmap:96 H264/90000"), err: ErrNoCodec},
		{name: "rejected audio (port 0)", offer: offer("m=audio 0 RTP/AVP 0"), err: ErrNoCodec},
		{name: "SRTP only", offer: offer("m=audio 4000 RTP/SAVP 0"), err: ErrNoCodec},
		{name: "garbage", offer: []byte("hello\x00world"), err: ErrMalformedSDP},
		{name: "empty", offer: nil, err: ErrMalformedSDP},
		{name: "only v=", offer: sdpText("v=0"), err: ErrMalformedSDP},
		{name: "no t= line", offer: sdpText("v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 0"), err: ErrMalformedSDP},
		{name: "no media at all", offer: offer(), err: ErrNoCodec},
		{name: "no c= line", offer: sdpText("v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0"), err: ErrMalformedSDP},
		{name: "c= not an address", offer: sdpText("v=0", "o=- 1 1 IN IP4 x", "s=-", "c=IN IP4 pbx.example", "t=0 0", "m=audio 4000 RTP/AVP 0"), err: ErrMalformedSDP},
		{name: "multicast", offer: sdpText("v=0", "o=- 1 1 IN IP4 x", "s=-", "c=IN IP4 224.2.1.1/127", "t=0 0", "m=audio 4000 RTP/AVP 0"), err: ErrNoCodec},
		{name: "media-level c= only", offer: sdpText("v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0", "c=IN IP4 198.51.100.7"), codec: PCMU, remote: "198.51.100.7:4000"},
		{name: "media-level c= wins", offer: offer("m=audio 4000 RTP/AVP 0", "c=IN IP4 198.51.100.7"), codec: PCMU, remote: "198.51.100.7:4000"},
		{name: "IPv6", offer: sdpText("v=0", "o=- 1 1 IN IP6 2001:db8::1", "s=-", "c=IN IP6 2001:db8::1", "t=0 0", "m=audio 4000 RTP/AVP 0"), codec: PCMU, remote: "[2001:db8::1]:4000"},
		{name: "LF line ends", offer: []byte("v=0\no=- 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n"), codec: PCMU},
		{name: "hold sendonly", offer: offer("m=audio 4000 RTP/AVP 0", "a=sendonly"), codec: PCMU, dir: RecvOnly, hold: true},
		{name: "hold inactive at session level", offer: offer("a=inactive", "m=audio 4000 RTP/AVP 0"), codec: PCMU, dir: Inactive, hold: true},
		{name: "recvonly", offer: offer("m=audio 4000 RTP/AVP 0", "a=recvonly"), codec: PCMU, dir: SendOnly},
		{name: "RFC 2543 hold c=0.0.0.0", offer: sdpText("v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 4000 RTP/AVP 0"), codec: PCMU, hold: true, remote: "0.0.0.0:4000"},
		{name: "audio and video", offer: offer("m=audio 4000 RTP/AVP 0", "m=video 4002 RTP/AVP 96", "a=rtpmap:96 H264/90000"), codec: PCMU, mLines: 2},
		{name: "video first", offer: offer("m=video 4002 RTP/AVP 96", "a=rtpmap:96 VP8/90000", "m=audio 4000 RTP/AVP 8"), codec: PCMA, pt: 8, mLines: 2, chosenIdx: 1},
		{name: "SRTP then RTP", offer: offer("m=audio 4000 RTP/SAVP 0", "m=audio 4002 RTP/AVP 0"), codec: PCMU, mLines: 2, chosenIdx: 1, remote: "192.0.2.10:4002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := Negotiate(tt.offer, testLocal, tt.opts...)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ans.Codec != tt.codec || ans.PT != tt.pt || ans.EventPT != tt.ev {
				t.Errorf("codec %v/%d event %d, want %v/%d event %d", ans.Codec, ans.PT, ans.EventPT, tt.codec, tt.pt, tt.ev)
			}
			if tt.remote == "" {
				tt.remote = "192.0.2.10:4000"
			}
			if ans.Remote.String() != tt.remote {
				t.Errorf("remote %v, want %s", ans.Remote, tt.remote)
			}
			if ans.Direction != tt.dir || ans.Hold != tt.hold {
				t.Errorf("direction %v hold %v, want %v %v", ans.Direction, ans.Hold, tt.dir, tt.hold)
			}
			checkAnswer(t, ans, max(tt.mLines, 1), tt.chosenIdx)
		})
	}
}

// checkAnswer parses the answer back with pion/sdp and checks it offers
// exactly the chosen payload types on the chosen m= line, all others rejected.
func checkAnswer(t *testing.T, ans Answer, mLines, chosen int) {
	t.Helper()
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(ans.SDP); err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, ans.SDP)
	}
	if got := len(sd.MediaDescriptions); got != mLines {
		t.Fatalf("answer has %d m= lines, want %d\n%s", got, mLines, ans.SDP)
	}
	if sd.ConnectionInformation == nil || sd.ConnectionInformation.Address.Address != testLocal.Addr().String() {
		t.Errorf("answer c= is not %v\n%s", testLocal.Addr(), ans.SDP)
	}
	for i, md := range sd.MediaDescriptions {
		if i != chosen {
			if md.MediaName.Port.Value != 0 {
				t.Errorf("m= line %d not rejected\n%s", i, ans.SDP)
			}
			continue
		}
		want := []string{itoa(ans.PT)}
		if ans.EventPT != 0 {
			want = append(want, itoa(ans.EventPT))
		}
		if md.MediaName.Port.Value != int(testLocal.Port()) || !slices.Equal(md.MediaName.Formats, want) {
			t.Errorf("m= line %d: port %d formats %v, want %d %v", i, md.MediaName.Port.Value, md.MediaName.Formats, testLocal.Port(), want)
		}
		attrs := map[string]bool{}
		for _, a := range md.Attributes {
			attrs[a.String()] = true
		}
		wantAttrs := []string{"rtpmap:" + itoa(ans.PT) + " " + ans.Codec.String() + "/8000", "ptime:20", ans.Direction.String()}
		if ans.EventPT != 0 {
			wantAttrs = append(wantAttrs, "rtpmap:"+itoa(ans.EventPT)+" telephone-event/8000", "fmtp:"+itoa(ans.EventPT)+" 0-16")
		}
		if ans.RTCPMux {
			wantAttrs = append(wantAttrs, "rtcp-mux")
		}
		for _, a := range wantAttrs {
			if !attrs[a] {
				t.Errorf("answer lacks a=%s\n%s", a, ans.SDP)
			}
		}
		if len(md.Attributes) != len(wantAttrs) {
			t.Errorf("answer has attributes %v, want %v", md.Attributes, wantAttrs)
		}
	}
}

func itoa(pt uint8) string { return strconv.Itoa(int(pt)) }

func TestOffer(t *testing.T) {
	b := Offer(netip.MustParseAddrPort("[2001:db8::5]:20000"), PCMA, PCMU)
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		t.Fatalf("offer does not parse: %v\n%s", err, b)
	}
	md := sd.MediaDescriptions[0]
	if !slices.Equal(md.MediaName.Formats, []string{"8", "0", "101"}) || md.MediaName.Port.Value != 20000 {
		t.Errorf("offer m= line %v", md.MediaName)
	}
	if sd.ConnectionInformation.AddressType != "IP6" {
		t.Errorf("offer c= %v", sd.ConnectionInformation)
	}
	// Negotiating our own offer as a peer would: PCMA first, event 101.
	ans, err := Negotiate(b, testLocal)
	if err != nil || ans.Codec != PCMA || ans.EventPT != 101 {
		t.Errorf("own offer negotiates to %+v, %v", ans, err)
	}
}

func TestNegotiateSessionOrigin(t *testing.T) {
	ans, err := Negotiate(sippOffer, testLocal, WithSession(42, 7))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans.SDP), "o=meetline 42 7 IN IP4 127.0.0.1\r\n") {
		t.Errorf("origin line missing:\n%s", ans.SDP)
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, seed := range [][]byte{sippOffer, baresipOffer, offer("m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000"),
		offer("m=video 4002 RTP/AVP 96", "m=audio 0 RTP/AVP 0"), offer("a=inactive", "m=audio 4000 RTP/AVP 110", "a=rtpmap:110 PCMA/8000/1"),
		offer("m=audio 4000 RTP/AVP 0", "a=rtcp:53020 IN IP4 198.51.100.9"), offer("m=audio 4000 RTP/AVP 0", "a=rtcp-mux")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, offer []byte) {
		ans, err := Negotiate(offer, testLocal)
		if err != nil {
			if !errors.Is(err, ErrMalformedSDP) && !errors.Is(err, ErrNoCodec) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !ans.Codec.Valid() || !ans.Remote.IsValid() {
			t.Fatalf("bad answer %+v", ans)
		}
		if strings.Contains(string(ans.SDP), "a=rtcp-mux") != ans.RTCPMux || ans.RTCPMux && ans.RTCP != ans.Remote {
			t.Fatalf("answer %+v, RTCP multiplexing inconsistent:\n%s", ans, ans.SDP)
		}
		var sd sdp.SessionDescription
		if err := sd.Unmarshal(ans.SDP); err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, ans.SDP)
		}
	})
}

func BenchmarkNegotiate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Negotiate(baresipOffer, testLocal); err != nil {
			b.Fatal(err)
		}
	}
}
