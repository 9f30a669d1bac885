package core

import "context"

// HostAction is what a host did to a phone caller in the meeting, which the
// caller cannot see: sipgate tells them ("The host muted you").
type HostAction struct {
	Kind HostActionKind `json:"kind"`
	// SelfUnmute, with HostMuted: the room lets the caller unmute
	// themselves with "*6" (SelfUnmuteAllowed).
	SelfUnmute bool `json:"self_unmute,omitempty"`
}

// HostActionKind names a HostAction.
type HostActionKind string

// The kinds of HostAction.
const (
	HostMuted   HostActionKind = "muted"
	HostUnmuted HostActionKind = "unmuted"
	// HostRemoved: sipgate says goodbye and hangs up, which takes the
	// caller out of LiveKit.
	HostRemoved HostActionKind = "removed"
)

// CallWatch carries host actions from any core replica to the sipgate that
// bridges the call, which watches it by its call id (the meet.call_id
// attribute) through TelephonyService.WatchCall (core/valkey).
type CallWatch interface {
	// Tell queues a for callID and says whether a sipgate watches the call
	// now. An action nobody takes is forgotten after a minute.
	Tell(ctx context.Context, callID string, a HostAction) (watched bool, err error)
	// Watch marks callID watched, calls send with the zero HostAction (the
	// watch is in place), then with each action told to the call, in order,
	// until ctx ends (then it returns nil) or send or the store fails.
	Watch(ctx context.Context, callID string, send func(HostAction) error) error
}
