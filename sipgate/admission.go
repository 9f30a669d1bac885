package sipgate

import (
	"context"
	"errors"
	"io"
	"time"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

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
}

// JoinRequest names the caller who waits to enter a room.
type JoinRequest struct {
	RoomID string
	Caller string // the caller's number or SIP user; the core shows its last two digits only
	CallID string // the caller leg's Call-ID, to join both services' logs
}

// errNoDecision means the core ended the stream without a final status.
var errNoDecision = errors.New("sipgate: core ended the join stream without a decision")

// joinOutage bounds how long JoinRoom keeps opening again a stream the core dropped (a restart, a crash,
// a rolling deploy, a fail-over of its Postgres or Valkey): a core back within a minute finds its waiting
// caller where it was, since it recognises the call by its Call-ID.
const joinOutage = time.Minute

// JoinRoom opens the core's JoinRoom stream and calls on with each status until a final one, which ends it
// with nil. A stream the core dropped (see streamLost) is opened again, after pauses that double from
// twice the client's backoff up to 16 times it, for up to the client's outage bound; ctx bounds the whole
// wait. The caller's number is never logged.
func (c *CoreClient) JoinRoom(ctx context.Context, req JoinRequest, on func(Admission)) error {
	failures := 0
	var down time.Time // when the core went away, zero while streams work
	for {
		err := c.joinOnce(ctx, req, on, func() { failures, down = 0, time.Time{} })
		if err == nil || ctx.Err() != nil || !streamLost(err) {
			return joinError(ctx, err)
		}
		if down.IsZero() {
			down = time.Now()
		} else if time.Since(down) > c.outage {
			return joinError(ctx, err)
		}
		t := time.NewTimer(2 * c.backoff << min(failures, 3))
		failures++
		select {
		case <-ctx.Done():
			t.Stop()
			return joinError(ctx, err)
		case <-t.C:
		}
	}
}

// streamLost says whether err is the core going away rather than its answer: Unavailable (it shut down,
// or cannot reach its stores), or a stream cut mid-way, which Connect reports as Internal ("incomplete
// envelope") wrapping io.ErrUnexpectedEOF: the core's process died (SIGKILL, OOM, a lost node), as the
// chaos drill's core crash showed, where callers waiting for their host were hung up.
func streamLost(err error) bool {
	return connect.CodeOf(err) == connect.CodeUnavailable || errors.Is(err, io.ErrUnexpectedEOF)
}

// joinOnce runs one stream; received is called after each message, to reset the reconnection count.
//
// The stream's context has no deadline even when ctx has one (the maximum wait): Connect would send it to
// the core as a timeout, and the core would end the stream cleanly a moment before ctx expires here, which
// reads as a stream ended without a decision. ctx's end cancels the stream instead.
func (c *CoreClient) joinOnce(ctx context.Context, req JoinRequest, on func(Admission), received func()) error {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	ctx = sctx
	stream, err := c.rpc.JoinRoom(ctx, &meetlinev1.JoinRoomRequest{RoomId: req.RoomID, CallerId: req.Caller, CallId: req.CallID})
	if err != nil {
		return err
	}
	defer stream.Close()
	for stream.Receive() {
		received()
		a := admission(stream.Msg())
		if a.Status == 0 {
			continue // a status this sipgate does not know yet
		}
		on(a)
		if a.Status.Final() {
			return nil
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	return errNoDecision
}

func admission(m *meetlinev1.JoinRoomResponse) Admission {
	a := Admission{LiveKitRoom: m.LivekitRoom, Role: roleName(m.Role)}
	switch m.Status {
	case meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST:
		a.Status = WaitingForHost
	case meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY:
		a.Status = WaitingInLobby
	case meetlinev1.CallStatus_CALL_STATUS_ADMITTED:
		a.Status = Admitted
	case meetlinev1.CallStatus_CALL_STATUS_DENIED:
		a.Status = Denied
	case meetlinev1.CallStatus_CALL_STATUS_ROOM_ENDED:
		a.Status = RoomEnded
	}
	return a
}

func roleName(r meetlinev1.Role) string {
	switch r {
	case meetlinev1.Role_ROLE_MEMBER:
		return "member"
	case meetlinev1.Role_ROLE_ADMINISTRATOR:
		return "administrator"
	case meetlinev1.Role_ROLE_OWNER:
		return "owner"
	}
	return "guest"
}

// joinError keeps the end of the call (ctx) as it is and marks the rest as the core's failure.
func joinError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if errors.Is(err, errNoDecision) {
		return err
	}
	return coreError(err)
}
