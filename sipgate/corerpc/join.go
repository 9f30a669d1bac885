package corerpc

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/sipgate"
)

// errNoDecision means the core ended the stream without a final status.
var errNoDecision = errors.New("corerpc: core ended the join stream without a decision")

// joinOutage bounds how long JoinRoom keeps opening again a stream the core dropped (a restart, a crash,
// a rolling deploy, a fail-over of its Postgres or Valkey): a core back within a minute finds its waiting
// caller where it was, since it recognises the call by its Call-ID.
const joinOutage = time.Minute

// JoinRoom opens the core's JoinRoom stream and calls on with each status until a final one, which ends it
// with nil. A stream the core dropped (see streamLost) is opened again, after pauses that double from
// twice the client's backoff up to 16 times it, for up to the client's outage bound; ctx bounds the whole
// wait. The caller's number is never logged.
func (c *Client) JoinRoom(ctx context.Context, req sipgate.JoinRequest, on func(sipgate.Admission)) error {
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

// streamLost says whether err is the core going away rather than its answer: unreachable (it shut down,
// cannot reach its stores, cannot be reached, or its connection was reset), or a stream that broke under
// the client, which Connect reports as its own Internal error, not one the core sent: a connection cut
// mid-way ("incomplete envelope", io.ErrUnexpectedEOF: the core's process died, SIGKILL or OOM, as the
// chaos drill's core crash showed, where callers waiting for their host were hung up), an HTTP/2 stream
// the core's server reset (a handler that panicked, which over HTTP/1.1 cuts the connection), or an
// HTTP/2 connection closed for unanswered pings (a core gone without closing it).
func streamLost(err error) bool {
	return unreachable(err) || connect.CodeOf(err) == connect.CodeInternal && !connect.IsWireError(err)
}

// joinOnce runs one stream (on a streamContext); received is called after each message, to reset the
// reconnection count.
func (c *Client) joinOnce(ctx context.Context, req sipgate.JoinRequest, on func(sipgate.Admission), received func()) error {
	ctx, cancel := streamContext(ctx)
	defer cancel()
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

// streamContext is ctx without its deadline, cancelled when ctx ends. A stream's deadline would travel to
// the core as a timeout (the maximum wait), and the core would end the stream cleanly a moment before ctx
// expires here, which reads as a stream that ended without a decision.
func streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	return sctx, func() { stop(); cancel() }
}

func admission(m *meetlinev1.JoinRoomResponse) sipgate.Admission {
	a := sipgate.Admission{LiveKitRoom: m.LivekitRoom, Role: roleName(m.Role), First: m.First}
	switch m.Status {
	case meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST:
		a.Status = sipgate.WaitingForHost
	case meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY:
		a.Status = sipgate.WaitingInLobby
	case meetlinev1.CallStatus_CALL_STATUS_ADMITTED:
		a.Status = sipgate.Admitted
	case meetlinev1.CallStatus_CALL_STATUS_DENIED:
		a.Status = sipgate.Denied
	case meetlinev1.CallStatus_CALL_STATUS_ROOM_ENDED:
		a.Status = sipgate.RoomEnded
	}
	return a
}

// roleNames are the roles' names in sipgate.Admission.Role (and X-Meet-Role); a caller without one is a
// "guest".
var roleNames = map[meetlinev1.Role]string{
	meetlinev1.Role_ROLE_MEMBER:        "member",
	meetlinev1.Role_ROLE_ADMINISTRATOR: "administrator",
	meetlinev1.Role_ROLE_OWNER:         "owner",
}

func roleName(r meetlinev1.Role) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return "guest"
}

// roleOf is roleName's inverse: unspecified for "guest" or an unknown name.
func roleOf(name string) meetlinev1.Role {
	for r, n := range roleNames {
		if n == name {
			return r
		}
	}
	return meetlinev1.Role_ROLE_UNSPECIFIED
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
