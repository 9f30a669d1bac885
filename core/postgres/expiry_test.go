package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// TestExpiryRacesSetPermanent: an owner who makes a recording permanent
// while the expiry pass deletes its file waits for the pass and is told the
// recording expired; one who made it permanent first keeps it.
func TestExpiryRacesSetPermanent(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	ctx := t.Context()
	owner := newUser(t, db, "expiry-owner")
	s := postgres.NewRecordingService(db)
	seed := func(name string) *core.Recording {
		room := newRoom(t, postgres.NewRoomService(db), name, owner.ID)
		r := &core.Recording{RoomID: room.ID, Mode: core.ModeScreenRecording}
		if err := s.CreateRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStatus(ctx, r.ID, core.RecordingAborted, core.RecordingInitiated); err != nil {
			t.Fatal(err)
		}
		return r
	}
	racing, kept := seed("Racing room"), seed("Kept room")
	if _, err := s.SetPermanent(ctx, kept.ID, true); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var removed []string
	pass, err := s.ExpireRecordings(ctx, time.Now().Add(time.Minute), 10, func(ctx context.Context, r *core.Recording) error {
		removed = append(removed, r.ID)
		go func() {
			_, err := s.SetPermanent(context.Background(), r.ID, true)
			done <- err
		}()
		select {
		case err := <-done:
			t.Errorf("SetPermanent did not wait for the pass: %v", err)
		case <-time.After(100 * time.Millisecond): // it waits on the row
		}
		return nil
	})
	if err != nil || !pass.Leader || pass.Expired != 1 || len(removed) != 1 || removed[0] != racing.ID {
		t.Fatalf("pass = %+v, %v, removed %v; want the racing recording only", pass, err, removed)
	}
	wantCode(t, <-done, core.EPRECONDITION)
	if got, err := s.FindRecording(ctx, kept.ID); err != nil || !got.ExpiredAt.IsZero() {
		t.Errorf("the permanent recording: %+v, %v", got, err)
	}
	if got, err := s.FindRecording(ctx, racing.ID); err != nil || got.ExpiredAt.IsZero() || got.Permanent {
		t.Errorf("the racing recording: %+v, %v; want expired, not permanent", got, err)
	}
}
