package valkey

import (
	"context"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// RoomCallbacks implements core.RoomCallbacks: a key per id holding "" while
// reserved, the room's id once created, and "-" once read, until it expires.
type RoomCallbacks struct {
	c *Client
}

var _ core.RoomCallbacks = (*RoomCallbacks)(nil)

// NewRoomCallbacks returns room callbacks kept on c.
func NewRoomCallbacks(c *Client) *RoomCallbacks { return &RoomCallbacks{c: c} }

func (r *RoomCallbacks) key(id string) string { return r.c.Key("roomcb:" + id) }

func (r *RoomCallbacks) Reserve(ctx context.Context, id string, ttl time.Duration) error {
	err := r.c.Do(ctx, r.c.B().Set().Key(r.key(id)).Value("").Nx().Px(ttl).Build()).Error()
	if valkey.IsValkeyNil(err) {
		return core.Errorf(core.ECONFLICT, "this callback id was used already")
	}
	return wrap("room callback", err)
}

func (r *RoomCallbacks) Fulfil(ctx context.Context, id, room string, ttl time.Duration) error {
	return wrap("room callback", r.c.Do(ctx, r.c.B().Set().Key(r.key(id)).Value(room).Px(ttl).Build()).Error())
}

// taken marks an id whose room was read: it stays used until it expires.
const taken = "-"

// Take reads before it swaps: a reader polling while the room is being
// created leaves the reservation in place. The swap (SET XX GET) marks the
// id taken rather than deleting it, so it is never reserved again.
func (r *RoomCallbacks) Take(ctx context.Context, id string) (string, error) {
	notFound := core.Errorf(core.ENOTFOUND, "no room was created with this callback id, or it was read already")
	room, err := r.c.Do(ctx, r.c.B().Get().Key(r.key(id)).Build()).ToString()
	switch {
	case valkey.IsValkeyNil(err) || err == nil && (room == "" || room == taken):
		return "", notFound
	case err != nil:
		return "", wrap("room callback", err)
	}
	room, err = r.c.Do(ctx, r.c.B().Set().Key(r.key(id)).Value(taken).Xx().Get().Keepttl().Build()).ToString()
	switch {
	case valkey.IsValkeyNil(err) || err == nil && room == taken:
		return "", notFound // it expired, or another reader took it
	case err != nil:
		return "", wrap("room callback", err)
	}
	return room, nil
}
