package api_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/mock"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// The API's rules where LiveKit or S3 answer: these tests put core/mock in
// their place (Postgres and Valkey stay real), which also reaches the
// failures the real services do not produce on demand.

// withLiveRooms puts m in LiveKit's place, keeping the real tokens and URL.
func withLiveRooms(m *mock.LiveRooms) func(*api.Server) {
	return func(srv *api.Server) {
		lk := srv.LiveKit
		if m.TokenFn == nil {
			m.TokenFn = lk.Token
		}
		if m.PublicURLFn == nil {
			m.PublicURLFn = lk.PublicURL
		}
		srv.LiveKit = m
	}
}

// TestStartRecordingRules: a room nobody is in cannot be recorded; a
// recorder that fails leaves the recording failed_to_start and the caller
// Unavailable; while one start is under way, the others get AlreadyExists.
func TestStartRecordingRules(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var starts atomic.Int32
	lk := &mock.LiveRooms{StartRecordingFn: func(context.Context, *core.Recording) (string, error) {
		if starts.Add(1) == 1 {
			return "", core.Errorf(core.ENOTFOUND, "livekit: start egress: room not found")
		}
		<-release
		return "", errors.New("livekit: start egress: no egress worker")
	}}
	s := newStack(t, withLiveRooms(lk))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rc := s.recordings(s.token(t, t.Name()+"-administrator"))
	start := func() error {
		_, err := rc.StartRecording(ctx, &meetlinev1.StartRecordingRequest{RoomId: f.room.Id,
			Mode: meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING})
		return err
	}
	if err := start(); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("recording a room nobody is in: %v, want FailedPrecondition", err)
	}

	first := make(chan error, 1)
	go func() { first <- start() }()
	eventually(t, ctx, "the second start to reach the recorder", func() bool { return starts.Load() == 2 })
	for range 3 {
		if err := start(); connect.CodeOf(err) != connect.CodeAlreadyExists {
			t.Errorf("a start while one is under way: %v, want AlreadyExists", err)
		}
	}
	close(release)
	if err := <-first; connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("a recorder that fails: %v, want Unavailable", err)
	}
	list, err := rc.ListRecordings(ctx, &meetlinev1.ListRecordingsRequest{})
	if err != nil || len(list.Recordings) != 2 || list.Recordings[0].Status != meetlinev1.RecordingStatus_RECORDING_STATUS_FAILED_TO_START {
		t.Fatalf("ListRecordings = %v, %v", list, err)
	}
	if _, err := rc.StopRecording(ctx, &meetlinev1.StopRecordingRequest{RoomId: f.room.Id}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("StopRecording with nothing live = %v", err)
	}
}

// TestUpdateRoomTellsLiveKit: the live room's metadata carries the access
// level and the recording under way; a room nobody is in is no error; a
// LiveKit that fails makes the update Unavailable (the room is saved).
func TestUpdateRoomTellsLiveKit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var metadata string
	var fail error
	lk := &mock.LiveRooms{UpdateRoomMetadataFn: func(_ context.Context, _, md string) error {
		mu.Lock()
		defer mu.Unlock()
		metadata = md
		return fail
	}}
	s := newStack(t, withLiveRooms(lk))
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	update := func(level meetlinev1.AccessLevel, err error) (string, error) {
		mu.Lock()
		fail = err
		mu.Unlock()
		_, uerr := cs[admin].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, AccessLevel: &level})
		mu.Lock()
		defer mu.Unlock()
		return metadata, uerr
	}
	md, err := update(meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED, nil)
	if err != nil || !strings.Contains(md, `"access_level":"trusted"`) || strings.Contains(md, "recording") {
		t.Fatalf("metadata = %s, %v", md, err)
	}
	s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingActive)
	md, err = update(meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED, nil)
	if err != nil || !strings.Contains(md, `"recording_mode":"transcript"`) || !strings.Contains(md, `"recording_status":"started"`) {
		t.Errorf("metadata while recording = %s, %v", md, err)
	}
	if _, err := update(meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, core.Errorf(core.ENOTFOUND, "no such room")); err != nil {
		t.Errorf("a room nobody is in: %v", err)
	}
	if _, err := update(meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, errors.New("connection refused")); connect.CodeOf(err) != connect.CodeUnavailable {
		t.Errorf("LiveKit down: %v, want Unavailable", err)
	}
	got, err := cs[admin].rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: f.room.Id})
	if err != nil || got.Room.AccessLevel != meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED {
		t.Errorf("the update LiveKit missed was not saved: %v, %v", got, err)
	}
}

// TestReconcilePresenceRules: phone callers (SIP participants) are not web
// presence, a room LiveKit no longer has is no longer live, and a LiveKit
// that fails fails the reconciliation.
func TestReconcilePresenceRules(t *testing.T) {
	t.Parallel()
	var down bool
	lk := &mock.LiveRooms{
		ListRoomsFn: func(context.Context) ([]string, error) {
			if down {
				return nil, errors.New("connection refused")
			}
			return []string{"room-a"}, nil
		},
		ListParticipantsFn: func(_ context.Context, room string) ([]core.LiveParticipant, error) {
			return []core.LiveParticipant{{Identity: "web-1"}, {Identity: "sip-1", SIP: true}, {Identity: "web-2"}}, nil
		},
	}
	s := newStack(t, withLiveRooms(lk))
	ctx := context.Background()
	if err := s.server.Presence.Reconcile(ctx, "ghost-room", []string{"nobody"}); err != nil {
		t.Fatal(err)
	}
	if err := s.server.ReconcilePresence(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := s.server.Presence.RoomPresence(ctx, "room-a"); err != nil || !p.Live || p.Web != 2 {
		t.Errorf("room-a = %+v, %v; want live with 2 on the web", p, err)
	}
	if p, _ := s.server.Presence.RoomPresence(ctx, "ghost-room"); p.Live {
		t.Error("reconciliation left a room live that LiveKit does not have")
	}
	down = true
	if err := s.server.ReconcilePresence(ctx); err == nil {
		t.Error("reconciliation with LiveKit down: no error")
	}
}

// TestRecordingStorageFails: a bucket that cannot presign or delete makes
// the call fail and loses nothing: the recording is still there.
func TestRecordingStorageFails(t *testing.T) {
	t.Parallel()
	bucket := &mock.RecordingBucket{
		PresignedGetFn: func(context.Context, string, time.Duration) (string, error) { return "", errors.New("s3 down") },
		RemoveFn:       func(context.Context, string) error { return errors.New("s3 down") },
	}
	s := newStack(t, func(srv *api.Server) { srv.Bucket = bucket })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingSaved)
	owner := s.recordings(s.token(t, t.Name()+"-owner"))
	if _, err := owner.GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: rec.ID}); connect.CodeOf(err) != connect.CodeInternal {
		t.Errorf("GetDownloadUrl with storage down: %v, want Internal", err)
	}
	if _, err := owner.DeleteRecording(ctx, &meetlinev1.DeleteRecordingRequest{Id: rec.ID}); connect.CodeOf(err) != connect.CodeInternal {
		t.Errorf("DeleteRecording with storage down: %v, want Internal", err)
	}
	if _, err := s.server.Recordings.FindRecording(ctx, rec.ID); err != nil {
		t.Errorf("the recording was lost: %v", err)
	}
}
