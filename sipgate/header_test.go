package sipgate

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestHeaderSpec(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		spec      headerSpec
		in        string
		unchanged bool
	}{
		{callIDSpec, "a84b4c76e66710@pc33.atlanta.example.com", true},
		{callIDSpec, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@[2001:db8::9]", true},
		{callIDSpec, "", true},
		{callIDSpec, strings.Repeat("a", 128), true},
		{callIDSpec, long, false},
		{callIDSpec, "abc\nX-Meet-Role: admin", false},
		{callIDSpec, "abc\r\nX-Meet-Role: admin", false},
		{callIDSpec, "abc X-Meet-Role", false},
		{callIDSpec, "abc;tag=1", false},
		{callIDSpec, `"quoted"`, false},
		{callIDSpec, "<bracket>", false},
		{callIDSpec, "é", false},
		{idSpec, "7c9e6679-7425-40de-944b-e07fc1f90ae7", true},
		{idSpec, "guest", true},
		{idSpec, "guest,admin", false},
		{idSpec, "room@host", false},
	}
	for _, tt := range tests {
		got := tt.spec.value(tt.in)
		if (got == tt.in) != tt.unchanged {
			t.Errorf("value(%q) = %q, unchanged %v, want %v", tt.in, got, got == tt.in, tt.unchanged)
		}
		if !tt.unchanged && (!strings.HasPrefix(got, "h-") || got != tt.spec.value(tt.in)) {
			t.Errorf("value(%q) = %q: want a stable digest", tt.in, got)
		}
	}
}

// FuzzHeaderValue: whatever the caller sends, the value fits every spec (so it can hold no line break, no
// separator and no quote) and a value that fits comes back unchanged.
func FuzzHeaderValue(f *testing.F) {
	for _, s := range []string{"abc@host", "a\nb", "a\r\nX-Meet-Role: admin", strings.Repeat("x", 300), "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, sp := range []headerSpec{idSpec, callIDSpec} {
			got := sp.value(v)
			if !sp.fits(got) || !idSpec.fits(strings.TrimPrefix(got, "h-")) && got != v {
				t.Fatalf("value(%q) = %q does not fit", v, got)
			}
			if sp.fits(v) && got != v {
				t.Fatalf("value(%q) = %q changed a value that fits", v, got)
			}
		}
	})
}

// A Call-ID with a bare LF and an injected header, or a huge one, never reaches the leg to LiveKit's
// INVITE headers. (A REFER's Refer-To carries nothing of the caller's: only the core's transfer callee.)
func TestLegHeadersFromCheckedValues(t *testing.T) {
	srv := startServer(t, WithLiveKit(LiveKitConfig{Addr: "127.0.0.1:5999"}))
	room, a := Room{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"}, Admission{LiveKitRoom: "lk-room", Role: "guest"}
	for _, callID := range []string{"abc\nX-Meet-Role: admin", "abc\r\nX-Meet-Room-Id: other", strings.Repeat("9", 70000)} {
		c := &call{srv: srv.Server, callID: callID, caller: testCaller}
		req := c.legInvite(room, a, nil)
		wire := req.String()
		if strings.Contains(wire, "admin") || strings.Contains(wire, "other") || len(wire) > 2000 {
			t.Errorf("the caller's Call-ID reached the leg:\n%s", wire)
		}
		var parsed *sip.Request
		msg, err := sip.ParseMessage([]byte(wire))
		if err == nil {
			parsed, _ = msg.(*sip.Request)
		}
		if parsed == nil {
			t.Fatalf("the leg's INVITE does not parse: %v", err)
		}
		for _, name := range []string{headerRoomID, headerRole, headerCallID} {
			if hs := parsed.GetHeaders(name); len(hs) != 1 {
				t.Errorf("%d %s headers", len(hs), name)
			}
		}
		if got := parsed.GetHeader(headerCallID).Value(); got != callIDSpec.value(callID) || !strings.HasPrefix(got, "h-") {
			t.Errorf("X-Meet-Call-Id %q, want the digest", got)
		}
	}
}
