package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	lkproto "github.com/livekit/protocol/livekit"
	"github.com/minio/minio-go/v7"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

func (s *stack) recordings(token string) meetlinev1connect.RecordingServiceClient {
	return meetlinev1connect.NewRecordingServiceClient(as(token), s.url)
}

// seedRecording stores a recording of room in status, as egress would have
// left it.
func (s *stack) seedRecording(t testing.TB, room string, mode core.RecordingMode, status core.RecordingStatus) *core.Recording {
	t.Helper()
	ctx := context.Background()
	rec := &core.Recording{RoomID: room, Mode: mode}
	if err := s.server.Recordings.CreateRecording(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.server.Recordings.SetEgress(ctx, rec.ID, "EG_"+rec.ID); err != nil {
		t.Fatal(err)
	}
	steps := map[core.RecordingStatus][]core.RecordingStatus{
		core.RecordingInitiated: nil,
		core.RecordingActive:    {core.RecordingActive},
		core.RecordingStopped:   {core.RecordingActive, core.RecordingStopped},
		core.RecordingSaved:     {core.RecordingActive, core.RecordingSaved},
	}[status]
	prev := core.RecordingInitiated
	for _, st := range steps {
		var err error
		if rec, err = s.server.Recordings.SetStatus(ctx, rec.ID, st, prev); err != nil {
			t.Fatal(err)
		}
		prev = st
	}
	return rec
}

func TestRecordingErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.Recording.TranscriptionEnabled = false })
	off := newStack(t, func(srv *api.Server) { srv.Recording.Enabled = false })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	saved := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	other := s.newFixture(t, cs, ids, "+33123456789")
	live := s.seedRecording(t, other.room.Id, core.ModeScreenRecording, core.RecordingActive)
	start := func(rc meetlinev1connect.RecordingServiceClient, mode meetlinev1.RecordingMode) error {
		_, err := rc.StartRecording(ctx, &meetlinev1.StartRecordingRequest{RoomId: f.room.Id, Mode: mode})
		return err
	}
	admin := s.recordings(s.token(t, t.Name()+"-administrator"))
	owner := s.recordings(s.token(t, t.Name()+"-owner"))
	member := s.recordings(s.token(t, t.Name()+"-member"))
	stranger := s.recordings(s.token(t, t.Name()+"-stranger"))
	tests := []struct {
		name string
		err  error
		want connect.Code
	}{
		{"recording disabled", start(off.recordings(off.token(t, "x")), meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING), connect.CodeFailedPrecondition},
		{"transcripts disabled", start(admin, meetlinev1.RecordingMode_RECORDING_MODE_TRANSCRIPT), connect.CodeFailedPrecondition},
		{"transcription disabled", func() error {
			_, err := admin.StartRecording(ctx, &meetlinev1.StartRecordingRequest{RoomId: f.room.Id,
				Mode: meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING, Options: &meetlinev1.RecordingOptions{Transcribe: true}})
			return err
		}(), connect.CodeFailedPrecondition},
		{"no mode", start(admin, meetlinev1.RecordingMode_RECORDING_MODE_UNSPECIFIED), connect.CodeInvalidArgument},
		{"member starts", start(member, meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING), connect.CodePermissionDenied},
		{"anonymous starts", start(s.recordings(""), meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING), connect.CodeUnauthenticated},
		{"member reads", func() error {
			_, err := member.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: saved.ID})
			return err
		}(), connect.CodePermissionDenied},
		{"stranger reads", func() error {
			_, err := stranger.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: saved.ID})
			return err
		}(), connect.CodeNotFound},
		{"unknown recording", func() error {
			_, err := admin.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: "no-such-id"})
			return err
		}(), connect.CodeNotFound},
		{"administrator reads another's", func() error {
			_, err := admin.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: saved.ID})
			return err
		}(), connect.CodePermissionDenied},
		{"administrator downloads another's", func() error {
			_, err := admin.GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: saved.ID})
			return err
		}(), connect.CodePermissionDenied},
		{"administrator deletes another's", func() error {
			_, err := admin.DeleteRecording(ctx, &meetlinev1.DeleteRecordingRequest{Id: saved.ID})
			return err
		}(), connect.CodePermissionDenied},
		{"delete a live one", func() error {
			_, err := owner.DeleteRecording(ctx, &meetlinev1.DeleteRecordingRequest{Id: live.ID})
			return err
		}(), connect.CodeFailedPrecondition},
		{"administrator sets permanent", func() error {
			_, err := admin.SetPermanent(ctx, &meetlinev1.SetPermanentRequest{Id: saved.ID, Permanent: true})
			return err
		}(), connect.CodePermissionDenied},
	}
	for _, tt := range tests {
		if connect.CodeOf(tt.err) != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

// TestRecordingViews: expiry, permanence, download links and deletion.
func TestRecordingViews(t *testing.T) {
	t.Parallel()
	s := newStack(t) // recordings expire after 30 days
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingSaved)
	content := []byte("OggS")
	if _, err := s.bucket.Client.PutObject(ctx, s.bucket.Name, rec.Key(), bytes.NewReader(content), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	owner := s.recordings(s.token(t, t.Name()+"-owner"))
	got, err := owner.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: rec.ID})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Recording
	if r.Key != rec.Key() || r.Room.Id != f.room.Id || r.Mode != meetlinev1.RecordingMode_RECORDING_MODE_TRANSCRIPT ||
		r.ExpireTime == nil || r.IsExpired || r.DownloadUrl == "" ||
		!r.ExpireTime.AsTime().Equal(rec.CreatedAt.AddDate(0, 0, 30)) {
		t.Fatalf("GetRecording = %v", r)
	}
	res, err := http.Get(r.DownloadUrl)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(body, content) {
		t.Errorf("download = %d %q", res.StatusCode, body)
	}
	dl, err := owner.GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: rec.ID})
	if err != nil || !strings.HasPrefix(dl.Url, "http") || dl.ExpireTime == nil {
		t.Fatalf("GetDownloadUrl = %v, %v", dl, err)
	}
	live := s.seedRecording(t, s.newFixture(t, cs, ids, "+33123456789").room.Id, core.ModeTranscript, core.RecordingActive)
	if _, err := owner.GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: live.ID}); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("GetDownloadUrl of a recording under way: %v", err)
	}
	if _, err := s.recordings(s.token(t, t.Name()+"-member")).GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: rec.ID}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("GetDownloadUrl by a member: %v", err)
	}
	perm, err := owner.SetPermanent(ctx, &meetlinev1.SetPermanentRequest{Id: rec.ID, Permanent: true})
	if err != nil || !perm.Recording.Permanent || perm.Recording.ExpireTime != nil {
		t.Fatalf("SetPermanent = %v, %v", perm, err)
	}
	if _, err := owner.DeleteRecording(ctx, &meetlinev1.DeleteRecordingRequest{Id: rec.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.bucket.Client.StatObject(ctx, s.bucket.Name, rec.Key(), minio.StatObjectOptions{}); err == nil {
		t.Error("the file outlived its recording")
	}
	if _, err := owner.GetRecording(ctx, &meetlinev1.GetRecordingRequest{Id: rec.ID}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("after delete: %v", err)
	}
}

func postStorage(t *testing.T, url, query, bearer, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/webhooks/storage"+query, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// minioEvent is the shape MinIO posts, key escaped.
func minioEvent(bucket, key, contentType string) string {
	escaped := strings.ReplaceAll(key, "/", "%2F")
	return fmt.Sprintf(`{"EventName":"s3:ObjectCreated:Put","Key":"%s/%s","Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"%s"},"object":{"key":"%s","size":10,"contentType":"%s"}}}]}`,
		bucket, escaped, bucket, escaped, contentType)
}

func TestStorageWebhook(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	bucket := s.bucket.Name
	active := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingActive)
	other := s.newFixture(t, cs, ids, "+33123456789")
	initiated := s.seedRecording(t, other.room.Id, core.ModeTranscript, core.RecordingInitiated)
	tests := []struct {
		name, query, bearer, body string
		status                    int
		msg                       string
	}{
		{"no token", "", "", minioEvent(bucket, active.Key(), "video/mp4"), 401, "unauthorized"},
		{"wrong token", "", "nope", minioEvent(bucket, active.Key(), "video/mp4"), 401, "unauthorized"},
		{"test event", "?token=" + storageToken, "", `{"Bucket":"Test-Bucket","Event":"s3:TestEvent"}`, 200, "test event"},
		{"malformed", "", storageToken, `{"nope":1}`, 400, ""},
		{"another bucket", "", storageToken, minioEvent("elsewhere", active.Key(), "video/mp4"), 403, "not our bucket"},
		{"foreign key", "", storageToken, minioEvent(bucket, "avatars/me.png", "image/png"), 200, "ignored"},
		{"other content type", "", storageToken, minioEvent(bucket, active.Key(), "text/plain"), 200, "ignored"},
		{"wrong extension", "", storageToken, minioEvent(bucket, "recordings/"+active.ID+".ogg", "audio/ogg"), 200, "ignored"},
		{"unknown recording", "", storageToken, minioEvent(bucket, "recordings/0f0e0d0c-0000-4000-8000-000000000000.mp4", "video/mp4"), 404, "unknown recording"},
		{"not savable", "", storageToken, minioEvent(bucket, initiated.Key(), "audio/ogg"), 409, "recording is initiated"},
		{"saves (MinIO, bearer)", "", storageToken, minioEvent(bucket, active.Key(), "video/mp4"), 200, "saved"},
		{"redelivery", "?token=" + storageToken, "", minioEvent(bucket, active.Key(), "video/mp4"), 200, "already saved"},
	}
	for _, tt := range tests {
		status, msg := postStorage(t, s.url, tt.query, tt.bearer, tt.body)
		if status != tt.status || !strings.Contains(msg, tt.msg) {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, msg, tt.status, tt.msg)
		}
	}
	// Saved, and the owner was told: the message waits in the outbox.
	if got, _ := s.server.Recordings.FindRecording(context.Background(), active.ID); got.Status != core.RecordingNotificationSucceeded {
		t.Errorf("status = %s, want notification_succeeded", got.Status)
	}
	var queued int
	if err := s.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE kind = 'recording_ready' AND recipient = $1`,
		t.Name()+"-owner@example.org").Scan(&queued); err != nil || queued != 1 {
		t.Errorf("owner notifications queued = %d, %v", queued, err)
	}
}

// TestStorageEventsFromVersitygw: a real S3 service posts its own events:
// the object egress writes finalises the recording.
func TestStorageEventsFromVersitygw(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hook := "http://" + ln.Addr().String() + "/webhooks/storage?token=" + storageToken
	var cfg storage.Config
	ready := make(chan struct{})
	s := newStackOn(t, ln, func(srv *api.Server) {
		// versitygw needs the webhook up before it starts: it starts in the
		// background and is ready once the stack serves.
		go func() {
			cfg = testenv.S3Events(t, hook)
			close(ready)
		}()
	})
	<-ready
	b, err := storage.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.server.Bucket = b // the webhook checks the bucket's name
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingActive)
	if _, err := b.Client.PutObject(context.Background(), cfg.Bucket, rec.Key(), strings.NewReader("OggS"), 4,
		minio.PutObjectOptions{ContentType: "audio/ogg"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	eventually(t, ctx, "the recording to be saved", func() bool {
		got, err := s.server.Recordings.FindRecording(ctx, rec.ID)
		return err == nil && got.Status.Saved()
	})
}

func TestEgressEnded(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	cs, ids := s.principalClients(t)
	key, secret := testenv.Getenv(t, "LIVEKIT_API_KEY"), testenv.Getenv(t, "LIVEKIT_API_SECRET")
	send := func(id string, info *lkproto.EgressInfo) {
		body := event(t, &lkproto.WebhookEvent{Id: id, Event: "egress_ended", EgressInfo: info})
		if status, msg := postWebhook(t, s.url, sign(t, key, secret, body), body); status != 200 {
			t.Fatalf("egress_ended = %d %s", status, msg)
		}
	}
	status := func(id string) core.RecordingStatus {
		r, err := s.server.Recordings.FindRecording(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	tests := []struct {
		egress lkproto.EgressStatus
		from   core.RecordingStatus
		want   core.RecordingStatus
	}{
		{lkproto.EgressStatus_EGRESS_COMPLETE, core.RecordingActive, core.RecordingNotificationSucceeded},
		{lkproto.EgressStatus_EGRESS_COMPLETE, core.RecordingStopped, core.RecordingNotificationSucceeded},
		{lkproto.EgressStatus_EGRESS_LIMIT_REACHED, core.RecordingActive, core.RecordingStopped},
		{lkproto.EgressStatus_EGRESS_ABORTED, core.RecordingActive, core.RecordingAborted},
		{lkproto.EgressStatus_EGRESS_COMPLETE, core.RecordingSaved, core.RecordingSaved}, // storage webhook came first
	}
	for i, tt := range tests {
		f := s.newFixture(t, cs, ids, "+33123456789")
		rec := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, tt.from)
		info := &lkproto.EgressInfo{EgressId: rec.EgressID, RoomName: f.room.Id, Status: tt.egress}
		send(fmt.Sprintf("EV_egress_%d", i), info)
		send(fmt.Sprintf("EV_egress_%d_again", i), info) // a second delivery changes nothing
		if got := status(rec.ID); got != tt.want {
			t.Errorf("%s from %s: %s, want %s", tt.egress, tt.from, got, tt.want)
		}
	}
	send("EV_foreign", &lkproto.EgressInfo{EgressId: "EG_not_ours", Status: lkproto.EgressStatus_EGRESS_COMPLETE})
}

func TestMediaAuth(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	saved := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	active := s.seedRecording(t, s.newFixture(t, cs, ids, "+33123456789").room.Id, core.ModeScreenRecording, core.RecordingActive)
	// Past RECORDING_EXPIRATION_DAYS (30 in ruleSettings), its file still
	// there: the expiry job has not passed yet.
	due := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	s.age(t, due, 31)
	s.putFile(t, due)
	// Expired by the job.
	gone := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	if _, err := s.db.Pool.Exec(ctx, `UPDATE recordings SET expired_at = now() WHERE id = $1`, gone.ID); err != nil {
		t.Fatal(err)
	}
	content := []byte("fake mp4")
	if _, err := s.bucket.Client.PutObject(ctx, s.bucket.Name, saved.Key(), bytes.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	ask := func(path, token string) *http.Response {
		req, _ := http.NewRequest("GET", s.url+"/media-auth", nil)
		req.Header.Set("X-Original-URL", "https://meet.example"+path)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	ownerTok := s.token(t, t.Name()+"-owner")
	for _, tt := range []struct {
		name, path, token string
		status            int
	}{
		{"not a recording URL", "/media/avatars/x.png", ownerTok, 400},
		{"malformed URL", "/media/recordings/%zz.mp4", ownerTok, 400},
		{"bad extension", "/media/recordings/" + saved.ID + ".exe", ownerTok, 400},
		{"no token", "/media/" + saved.Key(), "", 401},
		{"unknown", "/media/recordings/0f0e0d0c-0000-4000-8000-000000000000.mp4", ownerTok, 404},
		{"mode mismatch", "/media/recordings/" + saved.ID + ".ogg", ownerTok, 404},
		{"member", "/media/" + saved.Key(), s.token(t, t.Name()+"-member"), 403},
		{"not saved", "/media/" + active.Key(), ownerTok, 403},
		{"due to expire", "/media/" + due.Key(), ownerTok, 410},
		{"expired", "/media/" + gone.Key(), ownerTok, 410},
	} {
		if res := ask(tt.path, tt.token); res.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, res.StatusCode, tt.status)
		}
	}
	res := ask("/media/"+saved.Key(), ownerTok)
	if res.StatusCode != 200 || res.Header.Get("Authorization") == "" || res.Header.Get("X-Amz-Date") == "" {
		t.Fatalf("owner: %d %v", res.StatusCode, res.Header)
	}
	// What nginx does next: GET the object with those headers.
	req, _ := http.NewRequest("GET", s.bucket.ObjectURL(saved.Key()), nil)
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		req.Header.Set(h, res.Header.Get(h))
	}
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != 200 || !bytes.Equal(body, content) {
		t.Errorf("GET with the media-auth headers = %d %q", got.StatusCode, body)
	}
}
