package corerpc

import (
	"context"
	"time"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/sipgate"
)

// WatchCall follows the core's WatchCall stream for a bridged call until ctx ends. A stream that breaks or
// ends (a core restarting, a replica going away) is opened again at once the first time, then after pauses
// that double from twice the client's backoff up to 16 times it; the core keeps the actions told meanwhile
// for a minute. It gives up only when the core refuses the request itself (an invalid call id, a core
// without WatchCall, a refused token): opening it again could not help.
func (c *Client) WatchCall(ctx context.Context, callID string, on func(sipgate.HostAction)) error {
	failures := 0
	for {
		err := c.watchOnce(ctx, callID, on, func() { failures = 0 })
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		switch connect.CodeOf(err) {
		case connect.CodeInvalidArgument, connect.CodeUnimplemented, connect.CodePermissionDenied, connect.CodeUnauthenticated:
			return coreError(err)
		}
		var pause time.Duration
		if failures > 0 {
			pause = 2 * c.backoff << min(failures-1, 3)
		}
		failures++
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// watchOnce runs one stream (on a streamContext); received is called after each action.
func (c *Client) watchOnce(ctx context.Context, callID string, on func(sipgate.HostAction), received func()) error {
	ctx, cancel := streamContext(ctx)
	defer cancel()
	stream, err := c.rpc.WatchCall(ctx, &meetlinev1.WatchCallRequest{CallId: callID})
	if err != nil {
		return err
	}
	defer stream.Close()
	for stream.Receive() {
		if a, ok := hostAction(stream.Msg()); ok { // not the first message: a core that breaks each stream
			received() // right after it would be reopened without a pause
			on(a)
		}
	}
	return stream.Err()
}

// hostAction translates an action; false for one this sipgate does not know yet.
func hostAction(m *meetlinev1.WatchCallResponse) (sipgate.HostAction, bool) {
	a := sipgate.HostAction{SelfUnmute: m.SelfUnmute}
	switch m.Action {
	case meetlinev1.HostAction_HOST_ACTION_MUTED:
		a.Kind = sipgate.HostMuted
	case meetlinev1.HostAction_HOST_ACTION_UNMUTED:
		a.Kind = sipgate.HostUnmuted
	case meetlinev1.HostAction_HOST_ACTION_REMOVED:
		a.Kind = sipgate.HostRemoved
	default:
		return a, false
	}
	return a, true
}
