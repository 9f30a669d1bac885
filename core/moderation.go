package core

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Participant attributes the core sets in LiveKit for what hosts and phone
// keypads change; the console reads them. The "meet." namespace keeps them
// apart from LiveKit's "sip." and "lk.".
const (
	// AttrHand is "raised" while a participant's hand is up.
	AttrHand = "meet.hand"
	// AttrHostMuted is "true" while a host's mute holds a participant: their
	// own "*6" then unmutes only if the room allows self-unmute.
	AttrHostMuted = "meet.host_muted"
)

// HandRaised reports whether p's hand is up.
func (p *LiveParticipant) HandRaised() bool { return p.Attributes[AttrHand] == "raised" }

// HostMuted reports whether a host's mute holds p.
func (p *LiveParticipant) HostMuted() bool { return p.Attributes[AttrHostMuted] == "true" }

// AudioMuted reports whether nobody hears p: every audio track they publish
// is muted, or they publish none.
func (p *LiveParticipant) AudioMuted() bool {
	for _, t := range p.Tracks {
		if t.Kind == "audio" && !t.Muted {
			return false
		}
	}
	return true
}

// AudioTracks returns the SIDs of the audio tracks p publishes.
func (p *LiveParticipant) AudioTracks() []string {
	var sids []string
	for _, t := range p.Tracks {
		if t.Kind == "audio" {
			sids = append(sids, t.SID)
		}
	}
	return sids
}

// CanModerate reports whether someone with role actor may mute, remove or
// rename a participant with role target: administrators and owners manage
// the people in the meeting, and only owners act on an owner (as CanGrant).
func CanModerate(actor, target Role) bool {
	if target == RoleOwner {
		return actor == RoleOwner
	}
	return actor.IsAdmin()
}

// CanHostUnmute reports whether a host may unmute p: phone callers only,
// who have no button of their own. People on the web unmute themselves; a
// host switching on someone's microphone would be eavesdropping.
func CanHostUnmute(p *LiveParticipant) bool { return p.SIP }

// SelfUnmuteAllowed reports whether a participant a host muted may unmute
// themselves ("allow_self_unmute" in the room's configuration; anything but
// a JSON false allows it, as most meeting systems do by default).
func SelfUnmuteAllowed(configuration json.RawMessage) bool {
	var cfg struct {
		Allow *bool `json:"allow_self_unmute"`
	}
	if len(configuration) == 0 || json.Unmarshal(configuration, &cfg) != nil || cfg.Allow == nil {
		return true
	}
	return *cfg.Allow
}

// MaxParticipantName bounds a participant's name, in characters.
const MaxParticipantName = 64

// ValidParticipantName checks a name a host gives a participant and returns
// it trimmed: 1 to MaxParticipantName characters of valid UTF-8 without
// control characters (they would break the console's layout or logs).
func ValidParticipantName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Invalid("name", "must not be empty")
	case !utf8.ValidString(name):
		return "", Invalid("name", "must be UTF-8")
	case utf8.RuneCountInString(name) > MaxParticipantName:
		return "", Invalid("name", "must be at most 64 characters")
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", Invalid("name", "must not hold control characters")
	}
	return name, nil
}
