package core

import (
	"encoding/json"
	"hash/fnv"
	"slices"
)

// Participant is someone about to join a room's media: what their LiveKit
// token says about them.
type Participant struct {
	Identity      string // user sub, or a lobby participant id for anonymous people
	Name          string
	Role          Role
	Authenticated bool
	Color         string
	// LobbyEntry is the lobby entry a host admitted them by, "" when they
	// entered without one: a denial of that entry removes them, a tighter
	// access level does not.
	LobbyEntry string
}

// Attributes of a web participant's LiveKit token (core/livekit.Token): the
// role it was given, whether the bearer signed in, and the lobby entry a host
// admitted them by.
const (
	AttrWebRole       = "room_role"
	AttrAuthenticated = "is_authenticated"
	AttrLobbyEntry    = "lobby_entry"
)

// WebParticipant is what a web participant's token attributes say of them.
func WebParticipant(identity string, attrs map[string]string) LiveParticipant {
	p := LiveParticipant{Identity: identity, Attributes: attrs,
		Authenticated: attrs[AttrAuthenticated] == "true", LobbyEntry: attrs[AttrLobbyEntry]}
	if r := Role(attrs[AttrWebRole]); r.Valid() {
		p.Role = r
	}
	return p
}

// PublishSources are the LiveKit track sources participants may publish by default.
var PublishSources = []string{"camera", "microphone", "screen_share", "screen_share_audio"}

// AllowedSources returns the track sources someone with role may publish in a
// room with configuration. Administrators and owners may publish every
// source; the room's "can_publish_sources" list, when present, narrows what
// everyone else may publish (unknown sources in it are ignored).
func AllowedSources(configuration json.RawMessage, role Role) []string {
	if role.IsAdmin() || len(configuration) == 0 {
		return PublishSources
	}
	var cfg struct {
		Sources *[]string `json:"can_publish_sources"`
	}
	if json.Unmarshal(configuration, &cfg) != nil || cfg.Sources == nil {
		return PublishSources
	}
	allowed := []string{}
	for _, s := range PublishSources {
		if slices.Contains(*cfg.Sources, s) {
			allowed = append(allowed, s)
		}
	}
	return allowed
}

// palette holds colours readable on light and dark backgrounds.
var palette = []string{"#e4572e", "#17bebb", "#ffc914", "#2e282a", "#76b041", "#6a4c93",
	"#1982c4", "#ff595e", "#8ac926", "#c05299", "#4267ac", "#f08700"}

// ColorFor returns a colour that is the same every time for one identity, so
// a person keeps their colour across reconnections and devices.
func ColorFor(identity string) string {
	h := fnv.New32a()
	h.Write([]byte(identity))
	return palette[h.Sum32()%uint32(len(palette))]
}
