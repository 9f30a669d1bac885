package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// watchCall opens sipgate's WatchCall stream for m's caller; its actions
// arrive on the returned channel, which closes when the stream ends.
func (m *meeting) watchCall(t *testing.T) <-chan *meetlinev1.WatchCallResponse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := m.cs[sipgate].telephony.WatchCall(ctx, &meetlinev1.WatchCallRequest{CallId: m.callID})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *meetlinev1.WatchCallResponse, 8)
	go func() {
		defer close(out)
		for st.Receive() {
			out <- st.Msg()
		}
	}()
	// The first message says the watch is in place: a removal waits for
	// sipgate from then on.
	nextAction(t, out, meetlinev1.HostAction_HOST_ACTION_UNSPECIFIED, false)
	return out
}

func nextAction(t *testing.T, actions <-chan *meetlinev1.WatchCallResponse, want meetlinev1.HostAction, selfUnmute bool) {
	t.Helper()
	select {
	case a, ok := <-actions:
		if !ok {
			t.Fatalf("the stream ended, want %v", want)
		}
		if a.Action != want || a.SelfUnmute != selfUnmute {
			t.Fatalf("action %v, want %v (self-unmute %v)", a, want, selfUnmute)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no action, want %v", want)
	}
}

func (m *meeting) hostMute(t *testing.T, muted bool) {
	t.Helper()
	if _, err := m.cs[admin].participants.MuteParticipant(context.Background(), &meetlinev1.MuteParticipantRequest{
		RoomId: m.room, Identity: m.identity(), Muted: muted}); err != nil {
		t.Fatalf("MuteParticipant(%v): %v", muted, err)
	}
}

// TestHostActionsReachTheCall: a host's mute and unmute reach the stream
// sipgate watches the call with, saying whether the room allows
// self-unmute; an action made while no stream was open waits for the next
// one.
func TestHostActionsReachTheCall(t *testing.T) {
	t.Parallel()
	m := newMeeting(t)
	m.hostMute(t, true) // nobody watches yet
	actions := m.watchCall(t)
	nextAction(t, actions, meetlinev1.HostAction_HOST_ACTION_MUTED, true)
	m.hostMute(t, false)
	nextAction(t, actions, meetlinev1.HostAction_HOST_ACTION_UNMUTED, false)

	cfg, _ := structpb.NewStruct(map[string]any{"allow_self_unmute": false})
	if _, err := m.cs[owner].rooms.UpdateRoom(context.Background(), &meetlinev1.UpdateRoomRequest{Id: m.room, Configuration: cfg}); err != nil {
		t.Fatal(err)
	}
	m.hostMute(t, true)
	nextAction(t, actions, meetlinev1.HostAction_HOST_ACTION_MUTED, false)
	if !m.audioMuted(t) {
		t.Error("the host's mute did not reach LiveKit")
	}
}

// TestHostRemovesWatchedCall: a caller whose call sipgate watches is left
// to sipgate, which says goodbye and hangs up; one whose sipgate does not
// (it went away after it was told) is removed by the core after the grace
// period.
func TestHostRemovesWatchedCall(t *testing.T) {
	t.Parallel()
	m := newMeeting(t)
	m.s.server.PhoneRemovalGrace = 2 * time.Second
	actions := m.watchCall(t)
	if _, err := m.cs[admin].participants.RemoveParticipant(context.Background(), &meetlinev1.RemoveParticipantRequest{
		RoomId: m.room, Identity: m.identity()}); err != nil {
		t.Fatalf("RemoveParticipant: %v", err)
	}
	told := time.Now()
	nextAction(t, actions, meetlinev1.HostAction_HOST_ACTION_REMOVED, false)
	m.participant(t, m.identity()) // still there: sipgate says goodbye first
	select {
	case <-m.removed:
		if d := time.Since(told); d < 2*time.Second {
			t.Errorf("the core removed the caller after %v, before the grace period", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the core did not remove the caller sipgate left in the meeting")
	}
}

// TestWatchCallErrors: what sipgate can get wrong.
func TestWatchCallErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	tests := []struct {
		name   string
		callID string
	}{
		{"no call id", ""},
		{"call id too long", strings.Repeat("x", 257)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := s.clients(sipgateToken).telephony.WatchCall(ctx, &meetlinev1.WatchCallRequest{CallId: tt.callID})
			if err == nil {
				if st.Receive() {
					t.Fatalf("an action: %v", st.Msg())
				}
				err = st.Err()
			}
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("WatchCall(%q…): %v, want InvalidArgument", tt.callID[:min(len(tt.callID), 8)], err)
			}
		})
	}
}
