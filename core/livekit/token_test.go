package livekit_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/livekit"
)

func TestTokenGrants(t *testing.T) {
	cfg := livekit.Config{URL: "http://lk", APIKey: "devkey", APISecret: "a-secret-long-enough-for-hs256-signing", TokenTTL: time.Hour}
	c := livekit.New(cfg)
	restricted := json.RawMessage(`{"can_publish_sources":["microphone","screen_share","bogus"]}`)
	tests := []struct {
		name    string
		config  json.RawMessage
		p       core.Participant
		admin   bool
		sources []string
	}{
		{"owner", nil, core.Participant{Identity: "sub-1", Name: "Alice", Role: core.RoleOwner, Authenticated: true, Color: "#e4572e"},
			true, core.PublishSources},
		{"administrator ignores the room's narrowing", restricted, core.Participant{Identity: "sub-2", Role: core.RoleAdministrator, Authenticated: true},
			true, core.PublishSources},
		{"member", nil, core.Participant{Identity: "sub-3", Role: core.RoleMember, Authenticated: true}, false, core.PublishSources},
		{"member narrowed by the room", restricted, core.Participant{Identity: "sub-3", Role: core.RoleMember, Authenticated: true},
			false, []string{"microphone", "screen_share"}},
		{"anonymous", restricted, core.Participant{Identity: "lobby-9", Name: "Guest"}, false, []string{"microphone", "screen_share"}},
		{"room allows nothing", json.RawMessage(`{"can_publish_sources":[]}`), core.Participant{Identity: "x"}, false, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			room := &core.Room{ID: "0b8f6f3e-2c4b-4c39-9d1e-6f0e8f7d1a22", Configuration: tt.config}
			tok, err := c.Token(room, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			v, err := auth.ParseAPIToken(tok)
			if err != nil {
				t.Fatal(err)
			}
			_, grants, err := v.Verify(cfg.APISecret)
			if err != nil {
				t.Fatalf("token does not verify with the API secret: %v", err)
			}
			g := grants.Video
			if grants.Identity != tt.p.Identity || grants.Name != tt.p.Name {
				t.Errorf("identity %q name %q", grants.Identity, grants.Name)
			}
			if !g.RoomJoin || g.Room != room.ID || g.RoomAdmin != tt.admin || g.RoomCreate || g.RoomList || g.RoomRecord {
				t.Errorf("grant = %+v", g)
			}
			if !slices.Equal(g.CanPublishSources, tt.sources) {
				t.Errorf("sources = %v, want %v", g.CanPublishSources, tt.sources)
			}
			if g.CanUpdateOwnMetadata == nil || *g.CanUpdateOwnMetadata {
				t.Error("participants must not update their own metadata")
			}
			if got := *g.CanPublish; got != (len(tt.sources) > 0) {
				t.Errorf("canPublish = %v", got)
			}
			wantAttrs := map[string]string{"color": tt.p.Color, "room_role": string(tt.p.Role),
				"is_authenticated": map[bool]string{true: "true", false: "false"}[tt.p.Authenticated]}
			for k, want := range wantAttrs {
				if grants.Attributes[k] != want {
					t.Errorf("attribute %s = %q, want %q", k, grants.Attributes[k], want)
				}
			}
			if _, _, err := v.Verify("another-secret-long-enough-for-hs256!"); err == nil {
				t.Error("token verifies with another secret")
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	if got := livekit.New(livekit.Config{URL: "http://api"}).PublicURL(); got != "http://api" {
		t.Errorf("PublicURL = %q", got)
	}
	if got := livekit.New(livekit.Config{URL: "http://api", PublicURL: "wss://lk.example"}).PublicURL(); got != "wss://lk.example" {
		t.Errorf("PublicURL = %q", got)
	}
}
