package core_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/meetline/meetline/core"
)

func TestCanModerate(t *testing.T) {
	roles := []core.Role{core.RoleNone, core.RoleMember, core.RoleAdministrator, core.RoleOwner}
	for _, actor := range roles {
		for _, target := range roles {
			want := actor.IsAdmin() && (target != core.RoleOwner || actor == core.RoleOwner)
			if got := core.CanModerate(actor, target); got != want {
				t.Errorf("CanModerate(%q, %q) = %v, want %v", actor, target, got, want)
			}
		}
	}
}

func TestSelfUnmuteAllowed(t *testing.T) {
	for cfg, want := range map[string]bool{
		``:                              true,
		`{}`:                            true,
		`{"allow_self_unmute": true}`:   true,
		`{"allow_self_unmute": false}`:  false,
		`{"allow_self_unmute": "no"}`:   true, // malformed: the default
		`not json`:                      true,
		`{"phone_callers_first": true}`: true,
	} {
		if got := core.SelfUnmuteAllowed(json.RawMessage(cfg)); got != want {
			t.Errorf("SelfUnmuteAllowed(%s) = %v, want %v", cfg, got, want)
		}
	}
}

func TestLiveParticipantState(t *testing.T) {
	tests := []struct {
		name   string
		tracks []core.LiveTrack
		muted  bool
		audio  int
	}{
		{"no track", nil, true, 0},
		{"video only", []core.LiveTrack{{SID: "v", Kind: "video"}}, true, 0},
		{"live microphone", []core.LiveTrack{{SID: "a", Kind: "audio"}, {SID: "v", Kind: "video", Muted: true}}, false, 1},
		{"muted microphone", []core.LiveTrack{{SID: "a", Kind: "audio", Muted: true}, {SID: "v", Kind: "video"}}, true, 1},
		{"one of two live", []core.LiveTrack{{SID: "a", Kind: "audio", Muted: true}, {SID: "b", Kind: "audio"}}, false, 2},
	}
	for _, tt := range tests {
		p := core.LiveParticipant{Tracks: tt.tracks}
		if p.AudioMuted() != tt.muted || len(p.AudioTracks()) != tt.audio {
			t.Errorf("%s: AudioMuted %v, AudioTracks %v", tt.name, p.AudioMuted(), p.AudioTracks())
		}
	}
	p := core.LiveParticipant{Attributes: map[string]string{core.AttrHand: "raised", core.AttrHostMuted: "true"}}
	if !p.HandRaised() || !p.HostMuted() {
		t.Errorf("attributes %v not read", p.Attributes)
	}
	if p := (core.LiveParticipant{}); p.HandRaised() || p.HostMuted() {
		t.Error("no attributes read as set")
	}
}

func TestValidParticipantName(t *testing.T) {
	for in, want := range map[string]string{
		"Reception desk":          "Reception desk",
		"  Réception  ":           "Réception",
		strings.Repeat("é", 64):   strings.Repeat("é", 64),
		"":                        "",
		"   ":                     "",
		strings.Repeat("a", 65):   "",
		"tab\there":               "",
		"bad \xff utf-8":          "",
		"bidi \u202e override ok": "bidi \u202e override ok", // Cf, not Cc: shown as is
	} {
		got, err := core.ValidParticipantName(in)
		if got != want || (want == "") != (core.Code(err) == core.EINVALID) {
			t.Errorf("ValidParticipantName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// FuzzValidParticipantName: whatever a host types, an accepted name is
// trimmed, short, UTF-8 and free of control characters.
func FuzzValidParticipantName(f *testing.F) {
	for _, s := range []string{"Reception desk", " a ", "\x00", "a\nb", strings.Repeat("x", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := core.ValidParticipantName(in)
		if err != nil {
			if core.Code(err) != core.EINVALID || got != "" {
				t.Fatalf("ValidParticipantName(%q) = %q, %v", in, got, err)
			}
			return
		}
		if got == "" || got != strings.TrimSpace(got) || !utf8.ValidString(got) ||
			utf8.RuneCountInString(got) > core.MaxParticipantName || strings.ContainsFunc(got, unicode.IsControl) {
			t.Fatalf("ValidParticipantName(%q) accepted %q", in, got)
		}
	})
}
