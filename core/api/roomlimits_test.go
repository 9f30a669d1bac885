package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestRoomRateLimits: creating rooms and regenerating PINs write to Postgres
// (and a PIN change locks callers out), so each user has a budget; past it
// they get ResourceExhausted with nothing written, and others keep theirs.
func TestRoomRateLimits(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) {
		srv.RoomLimits = api.RoomLimits{CreatePerUser: core.AttemptLimit{Max: 3, Window: time.Hour},
			RegeneratePINPerUser: core.AttemptLimit{Max: 2, Window: time.Hour}}
	})
	ctx := context.Background()
	alice, bob := s.clients(s.token(t, "alice")), s.clients(s.token(t, "bob"))
	var room *meetlinev1.Room
	for i := range 3 {
		res, err := alice.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: fmt.Sprintf("Limited %d", i)})
		if err != nil {
			t.Fatalf("room %d: %v", i+1, err)
		}
		room = res.Room
	}
	_, err := alice.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "One too many"})
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("4th CreateRoom = %v, want resource_exhausted", err)
	}
	var n int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM rooms WHERE name = 'One too many'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused room was written (%d rows, %v)", n, err)
	}
	if _, err := bob.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "Bob's"}); err != nil {
		t.Errorf("another user's CreateRoom: %v", err)
	}

	for i := range 2 {
		if _, err := alice.rooms.RegeneratePin(ctx, &meetlinev1.RegeneratePinRequest{Id: room.Id}); err != nil {
			t.Fatalf("RegeneratePin %d: %v", i+1, err)
		}
	}
	before := s.pinOf(t, room.Id)
	_, err = alice.rooms.RegeneratePin(ctx, &meetlinev1.RegeneratePinRequest{Id: room.Id})
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("3rd RegeneratePin = %v, want resource_exhausted", err)
	}
	if after := s.pinOf(t, room.Id); after != before {
		t.Error("the refused RegeneratePin changed the PIN")
	}
	// A stranger is refused before spending anything.
	_, err = bob.rooms.RegeneratePin(ctx, &meetlinev1.RegeneratePinRequest{Id: room.Id})
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("stranger's RegeneratePin = %v, want permission_denied", err)
	}
}

func (s *stack) pinOf(t *testing.T, room string) string {
	t.Helper()
	var pin string
	if err := s.db.Pool.QueryRow(context.Background(), `SELECT coalesce(pin, '') || updated_at::text FROM rooms WHERE id = $1`, room).Scan(&pin); err != nil {
		t.Fatal(err)
	}
	return pin
}
