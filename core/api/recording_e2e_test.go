package api_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// webhookCount reads meetline_webhook_events_total for source and event
// (status OK) from the core's metrics; 0 when absent.
func webhookCount(t *testing.T, url, source, event string) int {
	t.Helper()
	re := regexp.MustCompile(`meetline_webhook_events_total\{event="` + event + `",source="` + source + `",status="OK"\} (\d+)`)
	m := re.FindStringSubmatch(scrape(t, url))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestRecordingEndToEnd records a meeting with everything real but egress,
// which cannot run here: a stand-in speaking the Egress Twirp API writes
// the file to a versitygw of the test's own, which posts its event to the
// core, and reports egress_ended signed like LiveKit. Both finalisers
// arrive; the first saves the recording and queues the owner's message.
func TestRecordingEndToEnd(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	lkcfg, _ := testenv.LiveKit(t)
	egressURL, calls := testenv.EgressStandIn(t, base+"/webhooks/livekit", lkcfg.APIKey, lkcfg.APISecret)
	var cfg storage.Config
	ready := make(chan struct{})
	s := newStackOn(t, ln, func(srv *api.Server) {
		// versitygw needs the webhook up before it starts.
		go func() {
			cfg = testenv.S3Events(t, base+"/webhooks/storage?token="+storageToken)
			close(ready)
		}()
	})
	<-ready
	b, err := storage.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.server.Bucket, s.bucket = b, b
	// Egress through the stand-in, into versitygw's bucket.
	lkcfg.EgressURL = egressURL
	lkcfg.Egress = livekit.EgressStorage{Endpoint: cfg.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
		Region: cfg.Region, Bucket: cfg.Bucket}
	s.server.LiveKit = livekit.New(lkcfg)

	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	lk := s.lk
	if _, err := lk.Rooms.CreateRoom(ctx, &lkproto.CreateRoomRequest{Name: f.room.Id, EmptyTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.Rooms.DeleteRoom(context.Background(), &lkproto.DeleteRoomRequest{Room: f.room.Id}) })

	rc := s.recordings(s.token(t, t.Name()+"-administrator"))
	started, err := rc.StartRecording(ctx, &meetlinev1.StartRecordingRequest{RoomId: f.room.Id,
		Mode: meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING})
	if err != nil || started.Recording.Status != meetlinev1.RecordingStatus_RECORDING_STATUS_ACTIVE {
		t.Fatalf("StartRecording = %v, %v", started, err)
	}
	rec := started.Recording
	got := calls()
	if len(got) != 1 || got[0].RoomName != f.room.Id || len(got[0].FileOutputs) != 1 {
		t.Fatalf("egress requests = %v", got)
	}
	out := got[0].FileOutputs[0]
	if s3 := out.GetS3(); out.Filepath != rec.Key || out.FileType != lkproto.EncodedFileType_MP4 || s3 == nil ||
		s3.Endpoint != cfg.Endpoint || s3.Bucket != cfg.Bucket || s3.AccessKey != cfg.AccessKey || !s3.ForcePathStyle {
		t.Fatalf("egress file output = %v, want %s as mp4 in %s at %s", out, rec.Key, cfg.Bucket, cfg.Endpoint)
	}

	storageBefore := webhookCount(t, s.admin, "storage", "object")
	stopped, err := rc.StopRecording(ctx, &meetlinev1.StopRecordingRequest{RoomId: f.room.Id})
	if err != nil || stopped.Recording.Status != meetlinev1.RecordingStatus_RECORDING_STATUS_STOPPED {
		t.Fatalf("StopRecording = %v, %v", stopped, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	eventually(t, wctx, "the recording to be saved and the owner told", func() bool {
		got, err := s.server.Recordings.FindRecording(wctx, rec.Id)
		return err == nil && got.Status == core.RecordingNotificationSucceeded
	})
	// Both finalisers arrive (the later one finds the work done); waiting
	// for them also keeps the stand-in's webhooks inside the test.
	eventually(t, wctx, "egress_ended and the storage event to be taken", func() bool {
		return webhookCount(t, s.admin, "livekit", "egress_ended") == 1 &&
			webhookCount(t, s.admin, "storage", "object") > storageBefore
	})

	dl, err := s.recordings(s.token(t, t.Name()+"-owner")).GetDownloadUrl(ctx, &meetlinev1.GetDownloadUrlRequest{Id: rec.Id})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(dl.Url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := testenv.EgressFile(rec.Key); res.StatusCode != 200 || !bytes.Equal(body, want) {
		t.Errorf("download = %d, %d bytes, want the %d bytes egress wrote", res.StatusCode, len(body), len(want))
	}
	// The administrator who started it is told, and so is the owner.
	if rec.StartedBy != ids[admin] {
		t.Errorf("started_by = %q, want the administrator %q", rec.StartedBy, ids[admin])
	}
	for _, p := range []string{owner, admin} {
		var queued int
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = 'recording_ready' AND recipient = $1`,
			t.Name()+"-"+p+"@example.org").Scan(&queued); err != nil || queued != 1 {
			t.Errorf("%s notifications queued = %d, %v", p, queued, err)
		}
	}
}
