// Package livekit talks to a LiveKit server: room service, tokens, SIP
// provisioning, egress and webhook verification (server-sdk-go, protocol).
package livekit

import (
	"context"
	"fmt"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// Config says where the LiveKit server is and how to sign requests to it.
type Config struct {
	URL       string // http(s)://host:port of the server's API
	PublicURL string // what clients connect to; URL when empty
	APIKey    string
	APISecret string
	TokenTTL  time.Duration // DefaultTokenTTL when zero
	EgressURL string        // the egress API; URL when empty
	// Egress is where egress writes recordings: the core's bucket, as the
	// egress service reaches it.
	Egress EgressStorage
}

// Client is a LiveKit server's API.
type Client struct {
	cfg   Config
	Rooms *lksdk.RoomServiceClient
}

// New returns a client for cfg. It does not contact the server; Ping does.
func New(cfg Config) *Client {
	return &Client{cfg: cfg, Rooms: lksdk.NewRoomServiceClient(cfg.URL, cfg.APIKey, cfg.APISecret)}
}

// Ping checks the server answers and accepts our key: it lists a room name
// that cannot exist, which costs the server one lookup.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.Rooms.ListRooms(ctx, &livekit.ListRoomsRequest{Names: []string{"meetline-readiness-probe"}}); err != nil {
		return fmt.Errorf("livekit: %w", err)
	}
	return nil
}
