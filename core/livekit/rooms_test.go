package livekit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
)

// TestLiveRooms drives core.LiveRooms against the shared livekit-server: a
// participant joins with the SDK, is listed, renamed, given attributes,
// removed; a participant or room LiveKit does not have is ENOTFOUND.
func TestLiveRooms(t *testing.T) {
	t.Parallel()
	cfg, prefix := testenv.LiveKit(t)
	c := livekit.New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := prefix + "live"
	if _, err := c.Rooms.CreateRoom(ctx, &lkproto.CreateRoomRequest{Name: room, EmptyTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(&core.Room{ID: room}, core.Participant{Identity: "alice", Name: "Alice", Role: core.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := lksdk.ConnectToRoomWithToken(c.PublicURL(), tok, lksdk.NewRoomCallback(), lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("SDK client cannot join: %v", err)
	}
	defer conn.Disconnect()

	rooms, err := c.ListRooms(ctx)
	if err != nil || !slices.Contains(rooms, room) {
		t.Fatalf("ListRooms = %v, %v; want %s in it", rooms, err, room)
	}
	if err := c.UpdateRoomMetadata(ctx, room, `{"access_level":"public"}`); err != nil {
		t.Errorf("UpdateRoomMetadata: %v", err)
	}
	if err := c.SendData(ctx, room, []byte(`{"type":"hello"}`)); err != nil {
		t.Errorf("SendData: %v", err)
	}
	name := "Alice B."
	if err := c.UpdateParticipant(ctx, room, "alice", core.ParticipantUpdate{Name: &name,
		Attributes: map[string]string{"hand": "raised"}}); err != nil {
		t.Fatalf("UpdateParticipant: %v", err)
	}
	ps, err := c.ListParticipants(ctx, room)
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListParticipants = %+v, %v", ps, err)
	}
	if p := ps[0]; p.Identity != "alice" || p.Name != name || p.Attributes["hand"] != "raised" || p.SIP ||
		p.Role != core.RoleMember || p.CallID != "" {
		t.Errorf("participant = %+v", p)
	}
	if err := c.RemoveParticipant(ctx, room, "alice"); err != nil {
		t.Fatalf("RemoveParticipant: %v", err)
	}

	for name, err := range map[string]error{
		"RemoveParticipant of someone gone": c.RemoveParticipant(ctx, room, "alice"),
		"UpdateParticipant of someone gone": c.UpdateParticipant(ctx, room, "alice", core.ParticipantUpdate{Name: &name}),
		"UpdateRoomMetadata of no room":     c.UpdateRoomMetadata(ctx, prefix+"nobody", "{}"),
	} {
		if core.Code(err) != core.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", name, err)
		}
	}
	// A room nobody is in has nobody in it; a track nobody publishes cannot
	// be muted (LiveKit finds no node for it: not ENOTFOUND, but an error).
	if ps, err := c.ListParticipants(ctx, prefix+"nobody"); err != nil || len(ps) != 0 {
		t.Errorf("ListParticipants of no room = %v, %v", ps, err)
	}
	if err := c.MuteTrack(ctx, room, "alice", "TR_none", true); err == nil {
		t.Error("MuteTrack of someone gone: no error")
	}
	cfg.APISecret = "not-the-secret"
	if _, err := livekit.New(cfg).ListRooms(ctx); err == nil || core.Code(err) == core.ENOTFOUND {
		t.Errorf("ListRooms with a wrong secret: %v, want an error other than ENOTFOUND", err)
	}
}
