package core

import (
	"context"
	"time"
)

// EntryStatus is where a request to enter a room stands.
type EntryStatus string

const (
	EntryWaiting  EntryStatus = "waiting"
	EntryAccepted EntryStatus = "accepted"
	EntryDenied   EntryStatus = "denied"
)

// ParticipantKind says how someone joins: a browser, or a phone through sipgate.
type ParticipantKind string

const (
	KindWeb   ParticipantKind = "web"
	KindPhone ParticipantKind = "phone"
)

// LobbyEntry is one person's request to enter a room.
type LobbyEntry struct {
	ID       string
	RoomID   string
	Username string
	Color    string
	Status   EntryStatus
	Kind     ParticipantKind
	// UserID and Email are the signed-in account's that asked (Username is
	// then its name); empty for guests and phone callers.
	UserID string
	Email  string
}

// GuestIDPrefix begins every guest's participant id, which is their LiveKit
// identity: an identity provider's subject would have to begin so too to
// collide with one (signed-in users enter LiveKit under their subject).
const GuestIDPrefix = "guest-"

// LobbyTTLs say how long entries live in each status: waiting ones expire
// unless refreshed (the person left), accepted ones as long as a LiveKit
// token, denied ones long enough for the person to learn it.
type LobbyTTLs struct {
	Waiting, Accepted, Denied time.Duration
}

// TTL returns how long an entry in status lives.
func (t LobbyTTLs) TTL(status EntryStatus) time.Duration {
	switch status {
	case EntryAccepted:
		return t.Accepted
	case EntryDenied:
		return t.Denied
	}
	return t.Waiting
}

// LobbyService stores lobby entries, shared by every core replica, and tells
// watchers when a room's lobby changes, or anything else that people waiting
// to enter it depend on (Notify).
type LobbyService interface {
	// PutEntry stores e, for the TTL of its status, and notifies the room's
	// watchers when the entry is new or its status changed (not on a refresh).
	PutEntry(ctx context.Context, e *LobbyEntry) error
	// RefreshEntry extends a waiting entry's life; an entry decided meanwhile
	// keeps its status and expiry (no refresh can undo a decision). ENOTFOUND
	// when the entry is gone (it expired, or the store came back empty).
	RefreshEntry(ctx context.Context, room, id string) error
	// FindEntry returns a live entry; ENOTFOUND once it expired.
	FindEntry(ctx context.Context, room, id string) (*LobbyEntry, error)
	// FindWaiting lists the room's waiting entries, oldest first.
	FindWaiting(ctx context.Context, room string) ([]*LobbyEntry, error)
	// CountWaiting counts the room's waiting entries, cheaply: the lobby's
	// cap is checked on every new entry.
	CountWaiting(ctx context.Context, room string) (int, error)
	// RemoveEntry forgets an entry at once, whatever its status (its person
	// went away), and notifies the room's watchers.
	RemoveEntry(ctx context.Context, room, id string) error
	// ClearLobby forgets every entry of the room (the meeting ended, or the
	// room was deleted) and notifies the room's watchers.
	ClearLobby(ctx context.Context, room string) error
	// Notify signals the room's watchers without changing the lobby: its
	// presence or the room itself changed, and people waiting to enter
	// (a phone caller waiting for the host) must look again.
	Notify(ctx context.Context, room string) error
	// WatchLobby signals on the returned channel after each change to the
	// room's lobby and each Notify, from any replica, until ctx ends. Signals
	// coalesce: a watcher reads the current state after each one.
	WatchLobby(ctx context.Context, room string) (<-chan struct{}, error)
}

// MaxUsernameLength bounds the name someone gives when asking to enter.
const MaxUsernameLength = 100

// CheckUsername validates a lobby username: 1 to 100 characters, not blank,
// no control characters.
func CheckUsername(name string) error { return checkName("username", name, MaxUsernameLength) }

// RoomState is what presence knows of a room's LiveKit side.
type RoomState struct {
	Live bool
	// Web counts the participants on the web (not phone callers).
	Web int
	// Ends counts the room's meetings that finished. It only grows, so a
	// reader comparing it with an earlier read knows whether a meeting ended
	// in between, even when the signals that told it merged into one.
	Ends int64
}

// Presence knows, per room, whether its LiveKit room is live and who is in it
// on the web (phone participants do not count: a room with only callers has
// no host). LiveKit's webhooks keep it; Reconcile repairs it from LiveKit's
// own list after a restart or a missed event. Whoever changes it notifies
// the room's lobby watchers (LobbyService.Notify).
type Presence interface {
	RoomStarted(ctx context.Context, room string) error
	// RoomFinished forgets the room's participants and counts one more end.
	RoomFinished(ctx context.Context, room string) error
	ParticipantJoined(ctx context.Context, room, identity string) error
	ParticipantLeft(ctx context.Context, room, identity string) error
	// Reconcile replaces what is known of room with identities (nil: not
	// live, which counts as an end like RoomFinished: a lost room_finished).
	Reconcile(ctx context.Context, room string, identities []string) error
	// RoomPresence returns what is known of the room.
	RoomPresence(ctx context.Context, room string) (RoomState, error)
	// LiveRooms lists the rooms believed live.
	LiveRooms(ctx context.Context) ([]string, error)
}

// RateLimiter counts events per key in fixed windows shared by every replica.
type RateLimiter interface {
	// Allow counts one event for key and returns an ELIMITED error, with
	// RetryAfter, when key went over limit in the current window.
	Allow(ctx context.Context, key string, limit AttemptLimit) error
	// AllowN counts n events under every budget, or none: when one would go
	// over its limit, nothing is counted and the error is that budget's
	// (ELIMITED, its Message, RetryAfter).
	AllowN(ctx context.Context, n int, budgets ...Budget) error
}

// Budget is a limit on the events counted under Key, for AllowN; Message
// says which budget is spent, for the person refused.
type Budget struct {
	Key     string
	Limit   AttemptLimit
	Message string
}

// StreamLimit bounds how many streams may be open at once under Key.
type StreamLimit struct {
	Key string
	Max int
}

// StreamSlots counts long-lived streams (WatchEntry) per key across every
// replica, so that one ticket, user or address cannot hold hundreds of
// them, each polling the stores.
type StreamSlots interface {
	// Hold takes a slot under every limit's key until ctx ends, or returns
	// an ELIMITED error, holding nothing, when one of them is full. Slots of
	// a replica that died expire on their own.
	Hold(ctx context.Context, limits ...StreamLimit) error
}

// Deduplicator remembers ids it has seen, so redelivered events are no-ops.
type Deduplicator interface {
	// FirstSeen reports whether id is new, remembering it for ttl.
	FirstSeen(ctx context.Context, id string, ttl time.Duration) (bool, error)
	// Forget makes id new again: an event that failed to apply is then
	// applied when it is redelivered.
	Forget(ctx context.Context, id string) error
}
