package api_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"connectrpc.com/connect"
	"github.com/minio/minio-go/v7"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/mock"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// expiryLock is core/postgres's advisory lock of the expiry pass.
const expiryLock = 0x6578_7069

// age moves a recording's creation days into the past.
func (s *stack) age(t *testing.T, rec *core.Recording, days int) {
	t.Helper()
	if _, err := s.db.Pool.Exec(context.Background(), `UPDATE recordings SET created_at = now() - make_interval(days => $2) WHERE id = $1`,
		rec.ID, days); err != nil {
		t.Fatal(err)
	}
}

// putFile stores the recording's file in the stack's bucket.
func (s *stack) putFile(t *testing.T, rec *core.Recording) {
	t.Helper()
	if _, err := s.bucket.Client.PutObject(context.Background(), s.bucket.Name, rec.Key(), bytes.NewReader([]byte("OggS")), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

// hasFile reports whether the recording's file is in the bucket.
func (s *stack) hasFile(t *testing.T, rec *core.Recording) bool {
	t.Helper()
	_, err := s.bucket.Client.StatObject(context.Background(), s.bucket.Name, rec.Key(), minio.StatObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchKey" {
		t.Fatal(err)
	}
	return err == nil
}

// counter reads a counter of reg by its one label's value.
func counter(t *testing.T, reg *prometheus.Registry, name, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			if m.Label[0].GetValue() == value {
				return m.Counter.GetValue()
			}
		}
	}
	return 0
}

// TestExpireRecordings: past RECORDING_EXPIRATION_DAYS (30 here) the core
// deletes a recording's file and marks it expired; permanent, recent and
// live recordings keep theirs; a second run changes nothing; an expired
// recording can no longer be made permanent or downloaded.
func TestExpireRecordings(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	seed := func(status core.RecordingStatus, days int, permanent bool) *core.Recording {
		room := f.room.Id
		if status.Live() { // one live recording per room
			room = s.newFixture(t, cs, ids, "+33123456789").room.Id
		}
		rec := s.seedRecording(t, room, core.ModeTranscript, status)
		if permanent {
			if _, err := s.server.Recordings.SetPermanent(ctx, rec.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		s.putFile(t, rec)
		s.age(t, rec, days)
		return rec
	}
	old := seed(core.RecordingSaved, 31, false)
	stopped := seed(core.RecordingStopped, 45, false)
	permanent := seed(core.RecordingSaved, 400, true)
	recent := seed(core.RecordingSaved, 29, false)
	live := seed(core.RecordingActive, 31, false)

	for run := range 2 {
		if err := s.server.ExpireRecordings(ctx); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for _, c := range []struct {
			name    string
			rec     *core.Recording
			expired bool
		}{{"old", old, true}, {"stopped", stopped, true}, {"permanent", permanent, false}, {"recent", recent, false}, {"live", live, false}} {
			got, err := s.server.Recordings.FindRecording(ctx, c.rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (!got.ExpiredAt.IsZero()) != c.expired || s.hasFile(t, c.rec) == c.expired {
				t.Errorf("run %d: %s recording: expired at %v, file kept %v; want expired %v", run, c.name, got.ExpiredAt, s.hasFile(t, c.rec), c.expired)
			}
		}
	}
	if n := counter(t, s.server.Registry, "meetline_recordings_expired_total", "expired"); n != 2 {
		t.Errorf("meetline_recordings_expired_total{outcome=expired} = %v after two runs, want 2", n)
	}

	owner := s.recordings(s.token(t, t.Name()+"-owner"))
	got, err := owner.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: old.ID})
	if err != nil || !got.Recording.IsExpired || got.Recording.DownloadUrl != "" {
		t.Errorf("GetRecording of an expired recording = %v, %v; want expired, no link", got, err)
	}
	if _, err := owner.SetPermanent(ctx, &meetlinev1.SetPermanentRequest{Id: old.ID, Permanent: true}); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("SetPermanent of an expired recording: %v, want FailedPrecondition", err)
	}
	if _, err := owner.GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: old.ID}); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("GetDownloadUrl of an expired recording: %v, want FailedPrecondition", err)
	}
	if _, err := owner.DeleteRecording(ctx, &meetlinev1.DeleteRecordingRequest{Id: old.ID}); err != nil {
		t.Errorf("DeleteRecording of an expired recording: %v", err)
	}
}

// TestExpireRecordingsLeader: while another replica holds the expiry lock,
// a replica's run does nothing; the next run after it let go does the work.
func TestExpireRecordingsLeader(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	s.putFile(t, rec)
	s.age(t, rec, 31)

	other, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock($1)`, expiryLock); err != nil {
		t.Fatal(err)
	}
	if err := s.server.ExpireRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.hasFile(t, rec) {
		t.Fatal("a replica that does not lead deleted a file")
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_unlock($1)`, expiryLock); err != nil {
		t.Fatal(err)
	}
	if err := s.server.ExpireRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if s.hasFile(t, rec) {
		t.Error("the leader did not delete the expired file")
	}
}

// TestExpireRecordingsStorageFails: a file the bucket will not delete keeps
// its recording unexpired and counted as failed; the next run, with the
// bucket back, expires it.
func TestExpireRecordingsStorageFails(t *testing.T) {
	t.Parallel()
	down := true
	bucket := &mock.RecordingBucket{RemoveFn: func(context.Context, string) error {
		if down {
			return errors.New("s3 down")
		}
		return nil
	}}
	s := newStack(t, func(srv *api.Server) { srv.Bucket = bucket })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	s.age(t, rec, 31)
	if err := s.server.ExpireRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.server.Recordings.FindRecording(ctx, rec.ID); !got.ExpiredAt.IsZero() {
		t.Error("a recording whose file could not be deleted was marked expired")
	}
	if n := counter(t, s.server.Registry, "meetline_recordings_expired_total", "failed"); n != 1 {
		t.Errorf("failed = %v, want 1", n)
	}
	down = false
	if err := s.server.ExpireRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.server.Recordings.FindRecording(ctx, rec.ID); got.ExpiredAt.IsZero() {
		t.Error("the next run did not expire it")
	}
}

// TestExpireRecordingsOff: with RECORDING_EXPIRATION_DAYS 0 nothing expires.
func TestExpireRecordingsOff(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.Recording.ExpirationDays = 0 })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	s.putFile(t, rec)
	s.age(t, rec, 4000)
	if err := s.server.ExpireRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.hasFile(t, rec) {
		t.Error("a recording expired with expiry off")
	}
}
