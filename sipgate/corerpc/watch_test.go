package corerpc

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/sipgate"
)

// WatchCall says the watch is in place, then for call "c1": breaks the stream with Unavailable while
// failures last (as a restarting core does), else tells a mute, an action this sipgate does not know, and
// a removal, and holds the stream open. Any other call is InvalidArgument.
func (f *flakyCore) WatchCall(ctx context.Context, req *meetlinev1.WatchCallRequest, st *connect.ServerStream[meetlinev1.WatchCallResponse]) error {
	if req.CallId != "c1" {
		return connect.NewError(connect.CodeInvalidArgument, errors.New("bad call id"))
	}
	if err := st.Send(&meetlinev1.WatchCallResponse{}); err != nil {
		return err
	}
	if err := f.fail(ctx); err != nil {
		return err
	}
	for _, m := range []*meetlinev1.WatchCallResponse{
		{Action: meetlinev1.HostAction_HOST_ACTION_MUTED, SelfUnmute: true},
		{Action: meetlinev1.HostAction(99)},
		{Action: meetlinev1.HostAction_HOST_ACTION_REMOVED},
	} {
		if err := st.Send(m); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

// TestWatchCall: a stream the core breaks is opened again, each action arrives once and in order, an
// unknown one is skipped; the watch ends with the call; the core's refusal ends it at once.
func TestWatchCall(t *testing.T) {
	c, f := newFlakyClient(t, 3)
	ctx, hangUp := context.WithTimeout(context.Background(), 10*time.Second)
	defer hangUp()
	var got []sipgate.HostAction
	err := c.WatchCall(ctx, "c1", func(a sipgate.HostAction) {
		got = append(got, a)
		if a.Kind == sipgate.HostRemoved {
			hangUp()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WatchCall ended with %v, want the call's end", err)
	}
	want := []sipgate.HostAction{{Kind: sipgate.HostMuted, SelfUnmute: true}, {Kind: sipgate.HostRemoved}}
	if !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if n := f.calls.Load(); n != 4 {
		t.Errorf("%d streams, want 4 (three broken)", n)
	}

	err = c.WatchCall(context.Background(), "bad", func(sipgate.HostAction) { t.Error("an action for a refused call") })
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("WatchCall of a refused call: %v, want InvalidArgument", err)
	}
}
