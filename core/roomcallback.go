package core

import (
	"context"
	"time"
)

// RoomCallbacks hand a room created in one window to another that waits for
// it, as Meet's calendar add-ons do: the add-on opens the console with a
// callback id only it knows, the person creates the room there, and the
// add-on reads the room by that id, once. The id is the secret, so it must be
// long and random (ValidCallbackID).
type RoomCallbacks interface {
	// Reserve claims id for a room about to be created, for ttl; an id used
	// already is ECONFLICT. Reserving first means a reused id is refused
	// before any room exists, rather than after.
	Reserve(ctx context.Context, id string, ttl time.Duration) error
	// Fulfil records the room created for a reserved id.
	Fulfil(ctx context.Context, id, room string, ttl time.Duration) error
	// Take returns the room and forgets it: ENOTFOUND when there is none
	// (never reserved, still being created, expired, or taken already).
	Take(ctx context.Context, id string) (room string, err error)
}

// RoomCallbackTTL is how long a room waits for the window that asked for it.
const RoomCallbackTTL = 10 * time.Minute

// ValidCallbackID reports whether id can be a callback id: 22 to 128
// characters of letters, digits, "-" and "_" (22 base64url characters are
// 128 random bits), so that nobody guesses another's.
func ValidCallbackID(id string) bool {
	if len(id) < 22 || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
