package livekit

import (
	"strconv"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/meetline/meetline/core"
)

// DefaultTokenTTL is how long a LiveKit token stays valid when Config says
// nothing. It bounds how long a revoked participant can join again with the
// token they kept. Shorter buys nothing: livekit-server (v1.13,
// RoomManager.refreshToken) sends every connected participant a fresh token
// every 5 minutes, valid for 10 minutes or what their own had left, whichever
// is longer.
const DefaultTokenTTL = 10 * time.Minute

// AttrWebRole is the attribute a web participant's token carries its role in.
const AttrWebRole = core.AttrWebRole

// Token returns a LiveKit access token that lets p join room. Administrators
// and owners get room_admin; what others may publish follows the room's
// configuration; nobody may update their own metadata (it carries their role).
func (c *Client) Token(room *core.Room, p core.Participant) (string, error) {
	grant := &auth.VideoGrant{
		RoomJoin:          true,
		Room:              room.ID,
		RoomAdmin:         p.Role.IsAdmin(),
		CanPublishSources: core.AllowedSources(room.Configuration, p.Role),
	}
	grant.SetCanUpdateOwnMetadata(false)
	grant.SetCanSubscribe(true)
	grant.SetCanPublishData(true)
	grant.SetCanPublish(len(grant.CanPublishSources) > 0)
	ttl := c.cfg.TokenTTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	attrs := map[string]string{
		"color":                p.Color,
		AttrWebRole:            string(p.Role),
		core.AttrAuthenticated: strconv.FormatBool(p.Authenticated),
	}
	if p.LobbyEntry != "" {
		attrs[core.AttrLobbyEntry] = p.LobbyEntry
	}
	return auth.NewAccessToken(c.cfg.APIKey, c.cfg.APISecret).
		SetIdentity(p.Identity).
		SetName(p.Name).
		SetValidFor(ttl).
		SetVideoGrant(grant).
		SetAttributes(attrs).
		ToJWT()
}

// PublicURL is the URL clients connect to, which may differ from the API URL
// the core uses (a public wss:// address in front of a private API).
func (c *Client) PublicURL() string {
	if c.cfg.PublicURL != "" {
		return c.cfg.PublicURL
	}
	return c.cfg.URL
}
