package livekit

import (
	"strconv"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/meetline/meetline/core"
)

// DefaultTokenTTL is how long a LiveKit token stays valid when Config says nothing.
const DefaultTokenTTL = 6 * time.Hour

// AttrWebRole is the attribute a web participant's token carries its role in.
const AttrWebRole = "room_role"

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
	return auth.NewAccessToken(c.cfg.APIKey, c.cfg.APISecret).
		SetIdentity(p.Identity).
		SetName(p.Name).
		SetValidFor(ttl).
		SetVideoGrant(grant).
		SetAttributes(map[string]string{
			"color":            p.Color,
			AttrWebRole:        string(p.Role),
			"is_authenticated": strconv.FormatBool(p.Authenticated),
		}).
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
