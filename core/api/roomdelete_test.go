package api_test

import (
	"context"
	"errors"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/mock"
	"github.com/meetline/meetline/core/postgres"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestDeleteRoomDeletesRecordings: DeleteRoom queues the deletion of its
// recordings' files in the outbox with the room's own deletion; the outbox
// worker deletes them from the real bucket (versitygw), and an S3 failure
// only delays them: nothing is lost.
func TestDeleteRoomDeletesRecordings(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	cs, ids := s.principalClients(t)
	ctx := context.Background()
	f := s.newFixture(t, cs, ids, "")
	video := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	transcript := s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingSaved)
	kept := s.seedRecording(t, s.newFixture(t, cs, ids, "").room.Id, core.ModeScreenRecording, core.RecordingSaved)
	for _, r := range []*core.Recording{video, transcript, kept} {
		s.putFile(t, r)
	}
	if _, err := cs[owner].rooms.DeleteRoom(ctx, &meetlinev1.DeleteRoomRequest{Id: f.room.Id}); err != nil {
		t.Fatal(err)
	}
	outbox := postgres.NewOutbox(s.db)
	run := func(bucket core.RecordingBucket) {
		t.Helper()
		router := mail.Router{ByKind: map[string]mail.Transport{core.KindObjectDeletion: mail.ObjectTransport{Bucket: bucket}}}
		if _, err := mail.NewWorker(outbox, router).RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// S3 fails: both jobs stay queued, the files stay.
	down := &mock.RecordingBucket{RemoveFn: func(context.Context, string) error { return errors.New("503 SlowDown") }}
	run(down)
	var pending int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = $1 AND status = 'pending' AND attempts = 1`,
		core.KindObjectDeletion).Scan(&pending); err != nil || pending != 2 {
		t.Fatalf("deletions pending after an S3 failure: %d, %v; want 2", pending, err)
	}
	if !s.hasFile(t, video) || !s.hasFile(t, transcript) {
		t.Fatal("files deleted although S3 failed")
	}
	// S3 is back and the retry is due.
	if _, err := s.db.Pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = now() WHERE kind = $1`, core.KindObjectDeletion); err != nil {
		t.Fatal(err)
	}
	run(s.bucket)
	if s.hasFile(t, video) || s.hasFile(t, transcript) {
		t.Error("the deleted room's recordings are still in the bucket")
	}
	if !s.hasFile(t, kept) {
		t.Error("another room's recording was deleted")
	}
	var sent int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = $1 AND status = 'sent'`,
		core.KindObjectDeletion).Scan(&sent); err != nil || sent != 2 {
		t.Fatalf("deletions done: %d, %v; want 2", sent, err)
	}
}
