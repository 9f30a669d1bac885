package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

func TestRecordingLifecycle(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	ctx := t.Context()
	owner := newUser(t, db, "rec-owner")
	room := newRoom(t, postgres.NewRoomService(db), "Recorded room", owner.ID)
	s := postgres.NewRecordingService(db)

	r := &core.Recording{RoomID: room.ID, Mode: core.ModeTranscript, Options: core.RecordingOptions{Language: "fr", Transcribe: true}}
	if err := s.CreateRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Status != core.RecordingInitiated || r.Options.Language != "fr" || r.Key() != "recordings/"+r.ID+".ogg" {
		t.Fatalf("created %+v", r)
	}
	wantCode(t, s.CreateRecording(ctx, &core.Recording{RoomID: room.ID, Mode: core.ModeScreenRecording}), core.ECONFLICT)

	if err := s.SetEgress(ctx, r.ID, "EG_1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindRecordingByEgress(ctx, "EG_1"); err != nil || got.ID != r.ID {
		t.Fatalf("FindRecordingByEgress = %+v, %v", got, err)
	}
	if _, err := s.SetStatus(ctx, r.ID, core.RecordingActive, core.RecordingInitiated); err != nil {
		t.Fatal(err)
	}
	if live, err := s.FindLiveRecording(ctx, room.ID); err != nil || live.ID != r.ID {
		t.Fatalf("FindLiveRecording = %+v, %v", live, err)
	}
	if _, err := s.SetStatus(ctx, r.ID, core.RecordingSaved, core.RecordingActive, core.RecordingStopped); err != nil {
		t.Fatal(err)
	}
	// A second finaliser finds the recording already saved: it does nothing.
	cur, err := s.SetStatus(ctx, r.ID, core.RecordingSaved, core.RecordingActive, core.RecordingStopped)
	wantCode(t, err, core.EPRECONDITION)
	if cur.Status != core.RecordingSaved {
		t.Errorf("status = %s", cur.Status)
	}
	_, err = s.FindLiveRecording(ctx, room.ID)
	wantCode(t, err, core.ENOTFOUND)
	// The room may record again.
	if err := s.CreateRecording(ctx, &core.Recording{RoomID: room.ID, Mode: core.ModeScreenRecording}); err != nil {
		t.Errorf("a new recording after the first ended: %v", err)
	}

	p, err := s.SetPermanent(ctx, r.ID, true)
	if err != nil || !p.Permanent {
		t.Fatalf("SetPermanent = %+v, %v", p, err)
	}
	if err := s.DeleteRecording(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindRecording(ctx, r.ID)
	wantCode(t, err, core.ENOTFOUND)
	wantCode(t, s.DeleteRecording(ctx, r.ID), core.ENOTFOUND)
	wantCode(t, s.DeleteRecording(ctx, "not-a-uuid"), core.ENOTFOUND)
	wantCode(t, s.CreateRecording(ctx, &core.Recording{RoomID: "5c1b8a3e-0000-4000-8000-000000000000", Mode: core.ModeTranscript}), core.ENOTFOUND)
	wantField(t, s.CreateRecording(ctx, &core.Recording{RoomID: room.ID, Mode: "podcast"}), "mode")
}

// TestConcurrentStarts: eight starts at once in one room; exactly one wins,
// the others get ECONFLICT.
func TestConcurrentStarts(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "racer")
	room := newRoom(t, postgres.NewRoomService(db), "Race room", owner.ID)
	s := postgres.NewRecordingService(db)
	var won, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := s.CreateRecording(t.Context(), &core.Recording{RoomID: room.ID, Mode: core.ModeScreenRecording})
			switch core.Code(err) {
			case "":
				won.Add(1)
			case core.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || conflicts.Load() != 7 {
		t.Errorf("won %d, conflicts %d", won.Load(), conflicts.Load())
	}
}

func TestFindRecordingsByRole(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	ctx := t.Context()
	owner, member := newUser(t, db, "o"), newUser(t, db, "m")
	rooms := postgres.NewRoomService(db)
	room := newRoom(t, rooms, "Shared", owner.ID)
	if err := postgres.NewAccessService(db).CreateAccess(ctx, &core.RoomAccess{RoomID: room.ID, UserID: member.ID, Role: core.RoleMember}); err != nil {
		t.Fatal(err)
	}
	s := postgres.NewRecordingService(db)
	for range 3 {
		r := &core.Recording{RoomID: room.ID, Mode: core.ModeScreenRecording}
		if err := s.CreateRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStatus(ctx, r.ID, core.RecordingFailedToStart, core.RecordingInitiated); err != nil {
			t.Fatal(err)
		}
	}
	page1, next, err := s.FindRecordings(ctx, owner.ID, core.Page{Size: 2})
	if err != nil || len(page1) != 2 || next == "" {
		t.Fatalf("page 1 = %d, %q, %v", len(page1), next, err)
	}
	page2, next, err := s.FindRecordings(ctx, owner.ID, core.Page{Size: 2, Token: next})
	if err != nil || len(page2) != 1 || next != "" || !page1[1].CreatedAt.After(page2[0].CreatedAt) && page1[1].CreatedAt != page2[0].CreatedAt {
		t.Fatalf("page 2 = %d, %q, %v", len(page2), next, err)
	}
	if recs, _, _ := s.FindRecordings(ctx, member.ID, core.Page{}); len(recs) != 0 {
		t.Errorf("a member sees %d recordings", len(recs))
	}
}

func TestRecordingRules(t *testing.T) {
	created := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	r := &core.Recording{ID: "x", Mode: core.ModeScreenRecording, CreatedAt: created}
	if at, ok := r.ExpiresAt(30); !ok || !at.Equal(created.AddDate(0, 0, 30)) {
		t.Errorf("ExpiresAt(30) = %v %v", at, ok)
	}
	if _, ok := r.ExpiresAt(0); ok {
		t.Error("0 days must mean never")
	}
	r.Permanent = true
	if _, ok := r.ExpiresAt(30); ok {
		t.Error("a permanent recording expired")
	}
	if r.Key() != "recordings/x.mp4" || core.ModeTranscript.ContentType() != "audio/ogg" {
		t.Error("key or content type")
	}
	for s, want := range map[core.RecordingStatus][4]bool{ // final, savable, saved, live
		core.RecordingInitiated:             {false, false, false, true},
		core.RecordingActive:                {false, true, false, true},
		core.RecordingStopped:               {true, true, false, false},
		core.RecordingSaved:                 {true, false, true, false},
		core.RecordingNotificationSucceeded: {false, false, true, false},
		core.RecordingAborted:               {true, false, false, false},
		core.RecordingFailedToStart:         {true, false, false, false},
		core.RecordingFailedToStop:          {true, false, false, false},
		core.RecordingExternalSucceeded:     {true, false, true, false},
		core.RecordingExternalFailed:        {true, false, true, false},
	} {
		if got := [4]bool{s.Final(), s.Savable(), s.Saved(), s.Live()}; got != want {
			t.Errorf("%s: final/savable/saved/live = %v, want %v", s, got, want)
		}
	}
}

// TestRecordingStateMachine tries every transition from every status against
// the real store: a change passes exactly when core.RecordingFrom allows it,
// and a refused one leaves the recording as it was.
func TestRecordingStateMachine(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	ctx := t.Context()
	owner := newUser(t, db, "machine")
	rooms := postgres.NewRoomService(db)
	s := postgres.NewRecordingService(db)
	statuses := []core.RecordingStatus{core.RecordingInitiated, core.RecordingActive, core.RecordingStopped,
		core.RecordingSaved, core.RecordingAborted, core.RecordingFailedToStart, core.RecordingFailedToStop,
		core.RecordingNotificationSucceeded, core.RecordingExternalSucceeded, core.RecordingExternalFailed}
	for _, from := range statuses {
		for _, to := range statuses {
			allowed := slices.Contains(core.RecordingFrom[to], from)
			room := newRoom(t, rooms, fmt.Sprintf("machine %s %s", from, to), owner.ID)
			r := &core.Recording{RoomID: room.ID, Mode: core.ModeScreenRecording}
			if err := s.CreateRecording(ctx, r); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Pool.Exec(ctx, `UPDATE recordings SET status = $2 WHERE id = $1`, r.ID, from); err != nil {
				t.Fatal(err)
			}
			got, err := s.SetStatus(ctx, r.ID, to, core.RecordingFrom[to]...)
			switch {
			case allowed && (err != nil || got.Status != to):
				t.Errorf("%s → %s refused: %v", from, to, err)
			case !allowed && (core.Code(err) != core.EPRECONDITION || got.Status != from):
				t.Errorf("%s → %s: %v (status %v), want refused", from, to, err, got)
			}
		}
	}
}
