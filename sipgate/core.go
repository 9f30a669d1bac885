package sipgate

import (
	"context"
	"errors"
	"time"
)

// Errors of [Core]; test with errors.Is. Any other error is a core failure (the caller hears "unavailable").
var (
	// ErrUnknownNumber: no enabled trunk owns the called number (INVITE → 404).
	ErrUnknownNumber = errors.New("sipgate: number belongs to no enabled trunk")
	// ErrWrongPIN: no room has this PIN on this number.
	ErrWrongPIN = errors.New("sipgate: wrong PIN")
	// ErrLimited: the caller or the trunk made too many failed attempts.
	ErrLimited = errors.New("sipgate: too many failed PIN attempts")
	// ErrCoreUnavailable: the core did not answer, after retries (INVITE → 503).
	ErrCoreUnavailable = errors.New("sipgate: core unavailable")
	// ErrRecordRefused: the core refused a call record as invalid; sending it again cannot help.
	ErrRecordRefused = errors.New("sipgate: call record refused")
)

// Trunk is what the core says about a called number.
type Trunk struct {
	E164, ID, Language string
	// Refer says to transfer the trunk's callers to LiveKit with REFER (RFC 3515) rather than bridge them.
	Refer bool
}

// PINCaller is who typed a PIN, for the core's failure budgets (docs/security.md): the caller id counts as
// the caller's own only when Trusted (asserted by a carrier in SIPGATE_TRUSTED_PROXIES); otherwise the call
// does.
type PINCaller struct {
	ID      string // the caller's number or SIP user; may be empty
	Trusted bool
	CallID  string // the caller leg's Call-ID
}

// Room is the room a PIN opens.
type Room struct {
	ID, LiveKitRoom, Name, Language string
}

// Core is the part of the core's TelephonyService sipgate uses; package corerpc implements it over
// Connect.
type Core interface {
	LookupNumber(ctx context.Context, called string) (Trunk, error)
	ResolvePin(ctx context.Context, called, pin string, from PINCaller) (Room, error)
	// JoinRoom calls on with each status of the caller's way into the room until a final one (then it
	// returns nil), or returns the error that broke the wait: ctx's cause, or the core's failure.
	JoinRoom(ctx context.Context, req JoinRequest, on func(Admission)) error
	// ReportHandoffFailure tells the core that LiveKit refused or never answered a hand-off, so that it
	// checks at once the SIP trunk and rule it keeps in LiveKit (lost when LiveKit's Redis is emptied).
	ReportHandoffFailure(ctx context.Context, f HandoffFailure) error
	// PhoneCommand carries out a bridged caller's keypad command in the meeting (callID is the value sipgate
	// sent LiveKit as X-Meet-Call-Id) and returns the caller's new state.
	PhoneCommand(ctx context.Context, callID, roomID string, cmd KeypadCommand) (PhoneState, error)
	// WatchCall calls on with each action a host takes on the bridged caller (callID as in PhoneCommand),
	// in order, until ctx ends; it returns ctx's cause then, or the core's refusal of the call. A stream
	// that breaks is opened again: the call may last hours, across core restarts.
	WatchCall(ctx context.Context, callID string, on func(HostAction)) error
	// OpenTransfer asks the core for a single-use way into the room for a caller admitted with role, whom
	// the carrier is to call into LiveKit after a REFER; an error means REFER is off or failed (bridge).
	OpenTransfer(ctx context.Context, callID, roomID, role string) (Transfer, error)
	// CloseTransfer closes it once the transfer ended, however it ended.
	CloseTransfer(ctx context.Context, target string) error
}

// Transfer is a REFER target the core opened: LiveKit routes a call to Target (the Refer-To's user),
// from the carriers' addresses, into the caller's room until Expires.
type Transfer struct {
	Target  string
	Expires time.Time
}

// HostAction is what a host did to the bridged caller, which the caller hears about.
type HostAction struct {
	Kind HostActionKind
	// SelfUnmute, with HostMuted: the room lets the caller unmute themselves with "*6".
	SelfUnmute bool
}

// HostActionKind names a [HostAction].
type HostActionKind uint8

// The kinds of [HostAction].
const (
	HostMuted HostActionKind = iota + 1
	HostUnmuted
	// HostRemoved: the caller hears goodbye, then sipgate hangs up both legs, which takes them out of the
	// meeting.
	HostRemoved
)

// HandoffFailure is a hand-off into LiveKit that failed.
type HandoffFailure struct {
	LiveKitRoom, CallID string
	// SIPStatus is LiveKit's final answer to the leg (404, 503…); 0 when none came (timeout, transport).
	SIPStatus int
	// Reason is the reason phrase or the error, for the core's log; never the caller's number.
	Reason string
}

// MaxHandoffReason is the longest [HandoffFailure.Reason] the core takes.
const MaxHandoffReason = 256

// AdmissionStatus is where a caller whose PIN resolved stands on the way into the room.
type AdmissionStatus int

const (
	// WaitingForHost: nobody is in the room on the web yet; the caller hears music on hold.
	WaitingForHost AdmissionStatus = iota + 1
	// WaitingInLobby: the caller is a lobby entry until an administrator decides.
	WaitingInLobby
	// Admitted (final): hand the call to the LiveKit room.
	Admitted
	// Denied (final): an administrator refused the caller.
	Denied
	// RoomEnded (final): the meeting ended, or the room was deleted, while the caller waited.
	RoomEnded
)

// Final reports whether no status follows this one.
func (s AdmissionStatus) Final() bool { return s == Admitted || s == Denied || s == RoomEnded }

func (s AdmissionStatus) String() string {
	switch s {
	case WaitingForHost:
		return "waiting_for_host"
	case WaitingInLobby:
		return "waiting_in_lobby"
	case Admitted:
		return "admitted"
	case Denied:
		return "denied"
	case RoomEnded:
		return "room_ended"
	}
	return "unknown"
}

// Admission is one status of a caller's way into a room, as the core streams it.
type Admission struct {
	Status AdmissionStatus
	// LiveKitRoom is set with Admitted: the room to hand the call to.
	LiveKitRoom string
	// Role is the caller's role in the room for X-Meet-Role: "guest" for callers with none.
	Role string
	// First, with Admitted: nobody was in the meeting; the caller hears so once bridged.
	First bool
}

// JoinRequest names the caller who waits to enter a room.
type JoinRequest struct {
	RoomID string
	Caller string // the caller's number or SIP user; the core shows its last two digits only
	CallID string // the caller leg's Call-ID, to join both services' logs
}
