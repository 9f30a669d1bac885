package core

import (
	"context"
	"encoding/json"
	"time"
)

// AccessLevel says who may enter a room without passing the lobby.
type AccessLevel string

const (
	AccessPublic     AccessLevel = "public"     // anyone with the link
	AccessTrusted    AccessLevel = "trusted"    // anyone signed in
	AccessRestricted AccessLevel = "restricted" // role holders only
)

// Valid reports whether l is one of the three levels.
func (l AccessLevel) Valid() bool {
	return l == AccessPublic || l == AccessTrusted || l == AccessRestricted
}

// Room is a meeting room. Its ID is also its LiveKit room name.
type Room struct {
	ID            string
	Name          string
	Slug          string
	AccessLevel   AccessLevel
	Configuration json.RawMessage // a JSON object, opaque to the core
	TrunkID       string          // "" when the room has no PIN
	PIN           string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// PhoneCallersFirst reports whether a public room's configuration lets phone
// callers in before anyone is there on the web ("phone_callers_first": true).
// By default a caller waits for the host rather than sit alone in an empty
// meeting. Anything but a JSON true (absent, malformed, "yes") is false.
func PhoneCallersFirst(configuration json.RawMessage) bool {
	var cfg struct {
		First bool `json:"phone_callers_first"`
	}
	return len(configuration) > 0 && json.Unmarshal(configuration, &cfg) == nil && cfg.First
}

// RoomUpdate holds the fields to change; nil leaves a field as it is.
type RoomUpdate struct {
	Name          *string
	AccessLevel   *AccessLevel
	Configuration json.RawMessage
}

// Page selects a slice of a list: at most Size items after the Token's position.
type Page struct {
	Size  int
	Token string
}

// RoomService stores rooms and their PINs.
type RoomService interface {
	// CreateRoom stores room (ID, Slug and PIN are filled in) with owner as
	// its owner. The PIN comes from the least-loaded enabled trunk; when every
	// namespace is full the room is created without one. The slug is the name
	// with a random suffix, never given before (core.NewSlug).
	CreateRoom(ctx context.Context, room *Room, owner string) error
	// FindRoom finds a room by id or by any slug it ever had (a rename
	// keeps the old links working; a deleted room's slugs find nothing).
	FindRoom(ctx context.Context, idOrSlug string) (*Room, error)
	// FindRoomsByUser lists the rooms user has a role in, newest first.
	FindRoomsByUser(ctx context.Context, user string, page Page) (rooms []*Room, next string, err error)
	UpdateRoom(ctx context.Context, id string, upd RoomUpdate) (*Room, error)
	DeleteRoom(ctx context.Context, id string) error
	// RegeneratePIN gives the room a new PIN in its trunk (or a trunk, if it had none).
	RegeneratePIN(ctx context.Context, id string) (*Room, error)
	// FindRoomByPIN finds the room whose PIN is pin on the trunk that owns the
	// called number; ENOTFOUND when the number or the PIN is unknown, or the trunk is disabled.
	FindRoomByPIN(ctx context.Context, called PhoneNumber, pin string) (*Room, *Trunk, error)
}
