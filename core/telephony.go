package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// PINAttempts bounds PIN guessing without locking anyone out (see
// docs/security.md). Each source has its own failure budget; a number whose
// failures pass PINPolicy.Attack is under attack, and each wrong attempt on
// it costs its source a tarpit; once the number's budget is spent, attempts
// on it are paced instead of refused (a trusted caller with no failures of
// its own skips the pace), so that a caller with no failures of its own is
// never refused. Every core replica shares the counters.
type PINAttempts interface {
	// Check says whether src's attempt on called may be looked at now: nil
	// and 0 for yes; a wait > 0 when the number's attempts are paced (submit
	// again after it); an ELIMITED error with RetryAfter when src has used up
	// its own failures or comes back before its tarpit ended.
	Check(ctx context.Context, src PINSource, called PhoneNumber) (wait time.Duration, err error)
	// Fail records a failed attempt and returns src's tarpit: how long it
	// must wait before its next attempt, 0 unless the number is under attack.
	Fail(ctx context.Context, src PINSource, called PhoneNumber) (tarpit time.Duration, err error)
}

// PINSource is who typed a PIN, as sipgate knows it.
type PINSource struct {
	CallerID string // the caller's number or SIP user; may be empty
	// Trusted says CallerID was asserted by a trusted carrier: only then is
	// the number the caller's budget. Anyone can put any number in From.
	Trusted bool
	CallID  string // sipgate's id for the call
}

// Key names src's failure budget, hashed so that no number is stored in
// clear: the trusted caller id, else the call (the attacker who rotates
// forged caller ids gets one call's budget per call, no more), else, from a
// client that sends no call id, the caller id; "" for an anonymous caller,
// whose budget is the number's anonymous pool.
func (src PINSource) Key() string { return string(src.AppendKey(nil)) }

// AppendKey appends Key to b, for callers that build a longer name around
// it: the hash is taken from a copy on the stack, so nothing else is allocated.
func (src PINSource) AppendKey(b []byte) []byte {
	var kind, id string
	switch {
	case src.Trusted && src.CallerID != "":
		kind, id = "id:", src.CallerID
	case src.CallID != "":
		kind, id = "call:", src.CallID
	case src.CallerID != "":
		kind, id = "from:", src.CallerID
	default:
		return b
	}
	var buf [128]byte
	sum := sha256.Sum256(append(append(buf[:0], kind...), id...))
	return hex.AppendEncode(b, sum[:12])
}

// PINPolicy is how many wrong PINs are tolerated, and what they cost.
type PINPolicy struct {
	// Source allows Max failures per Window to one source (PINSource.Key).
	Source AttemptLimit
	// Number is the dialled number's budget: past Max failures in Window,
	// attempts on it are paced to one per Window/Max, but for trusted
	// callers with no failures of their own.
	Number AttemptLimit
	// Attack is the number's failure count in its window from which it is
	// under attack: each wrong attempt then costs its source a tarpit of
	// TarpitStep, doubled for each earlier failure of the source, at most
	// TarpitMax.
	Attack                int
	TarpitStep, TarpitMax time.Duration
}

// Pace is the interval between two attempts on a number whose budget is spent.
func (p PINPolicy) Pace() time.Duration {
	return p.Number.Window / time.Duration(max(p.Number.Max, 1))
}

// AttemptLimit allows Max failures per Window.
type AttemptLimit struct {
	Max    int
	Window time.Duration
}

// SIPRoutingKeeper keeps sipgate's SIP routing in place in LiveKit (core/livekit's SIPReconciler): Trigger
// asks for a check now, when sipgate reports a hand-off LiveKit refused.
type SIPRoutingKeeper interface {
	Trigger()
}

// Transfer is a single-use way into a room for a caller handed off by REFER (RFC 3515): LiveKit routes a
// call to Target, from a carrier's address, to the room, until Expires. A REFER trunk's carrier calls
// LiveKit itself, unauthenticated: only a callee nobody can guess keeps anyone else sending from that
// address (its other customers, a spoofer) out of the room (docs/security.md, REFER mode).
type Transfer struct {
	Target  string
	Expires time.Time
}

// TransferGuest is who a Transfer lets in: the attributes LiveKit gives the participant come from here,
// never from the carrier's INVITE.
type TransferGuest struct {
	LiveKitRoom, RoomID, CallID string
	Role                        Role
}

// TransferRoutes opens and closes Transfers in LiveKit (core/livekit).
type TransferRoutes interface {
	Open(ctx context.Context, g TransferGuest) (Transfer, error)
	// Close removes the Transfer to target; nil when it is already gone.
	Close(ctx context.Context, target string) error
}
