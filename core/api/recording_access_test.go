package api_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestRecordingBelongsToItsStarter: as in Meet, a recording is its
// starter's: they see it (even once out of the room) and are told when it is
// ready, with the room's owners; another administrator of the room neither
// sees it nor hears of it.
func TestRecordingBelongsToItsStarter(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	if _, err := cs[owner].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, UserId: ids["extra"],
		Role: meetlinev1.Role_ROLE_ADMINISTRATOR}); err != nil {
		t.Fatal(err)
	}
	rec := &core.Recording{RoomID: f.room.Id, Mode: core.ModeScreenRecording, StartedBy: ids[admin]}
	if err := s.server.Recordings.CreateRecording(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.server.Recordings.SetStatus(ctx, rec.ID, core.RecordingActive, core.RecordingInitiated); err != nil {
		t.Fatal(err)
	}
	if status, msg := postStorage(t, s.url, "", storageToken, minioEvent(s.bucket.Name, rec.Key(), "video/mp4")); status != 200 {
		t.Fatalf("storage event = %d %s", status, msg)
	}
	for p, want := range map[string]int{admin: 1, owner: 1, "extra": 0, member: 0} {
		var queued int
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = 'recording_ready' AND recipient = $1`,
			t.Name()+"-"+p+"@example.org").Scan(&queued); err != nil || queued != want {
			t.Errorf("%s told %d times (%v), want %d", p, queued, err, want)
		}
	}

	listed := func(p string) bool {
		res, err := cs[p].recordings.ListRecordings(ctx, &meetlinev1.ListRecordingsRequest{})
		if err != nil {
			t.Fatalf("ListRecordings as %s: %v", p, err)
		}
		for _, r := range res.Recordings {
			if r.Id == rec.ID {
				return true
			}
		}
		return false
	}
	get := func(p string) error {
		res, err := cs[p].recordings.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: rec.ID})
		if err == nil && res.Recording.StartedBy != ids[admin] {
			t.Errorf("started_by = %q, want %q", res.Recording.StartedBy, ids[admin])
		}
		return err
	}
	for _, tt := range []struct {
		who    string
		listed bool
		get    connect.Code
	}{
		{admin, true, 0},
		{owner, true, 0},
		{"extra", false, connect.CodePermissionDenied},
		{member, false, connect.CodePermissionDenied},
		{stranger, false, connect.CodeNotFound},
	} {
		if got := listed(tt.who); got != tt.listed {
			t.Errorf("%s lists it: %v, want %v", tt.who, got, tt.listed)
		}
		if err := get(tt.who); connect.CodeOf(err) != tt.get && !(tt.get == 0 && err == nil) {
			t.Errorf("GetRecording as %s: %v, want %v", tt.who, err, tt.get)
		}
	}

	// Out of the room, the starter keeps their recording.
	if _, err := cs[owner].accesses.RemoveAccess(ctx, &meetlinev1.RemoveAccessRequest{Id: f.adminAccess}); err != nil {
		t.Fatal(err)
	}
	if err := get(admin); err != nil || !listed(admin) {
		t.Errorf("the starter out of the room: GetRecording %v, listed %v", err, listed(admin))
	}
}
