package core

import "testing"

func TestMayStay(t *testing.T) {
	anonymous := LiveParticipant{Identity: "anonymous-1"}
	signedIn := LiveParticipant{Identity: "sub", Authenticated: true}
	for _, tc := range []struct {
		name  string
		level AccessLevel
		p     LiveParticipant
		want  bool
	}{
		{"anonymous in public", AccessPublic, anonymous, true},
		{"anonymous after trusted", AccessTrusted, anonymous, false},
		{"signed in after trusted", AccessTrusted, signedIn, true},
		{"signed in after restricted", AccessRestricted, signedIn, false},
		{"member after restricted", AccessRestricted, LiveParticipant{Role: RoleMember}, true},
		{"admitted guest after restricted", AccessRestricted, LiveParticipant{LobbyEntry: "e1"}, true},
		{"recorder after restricted", AccessRestricted, LiveParticipant{Service: true}, true},
		{"phone caller after restricted", AccessRestricted, LiveParticipant{SIP: true}, true},
	} {
		if got := MayStay(tc.level, tc.p); got != tc.want {
			t.Errorf("%s: MayStay = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTighter(t *testing.T) {
	for _, tc := range []struct {
		from, to AccessLevel
		want     bool
	}{
		{AccessPublic, AccessTrusted, true}, {AccessPublic, AccessRestricted, true}, {AccessTrusted, AccessRestricted, true},
		{AccessTrusted, AccessPublic, false}, {AccessRestricted, AccessRestricted, false}, {AccessRestricted, AccessTrusted, false},
	} {
		if got := Tighter(tc.from, tc.to); got != tc.want {
			t.Errorf("Tighter(%s, %s) = %v", tc.from, tc.to, got)
		}
	}
}
