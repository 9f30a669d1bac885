package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// TestSummaryService: a saved transcript is handed, through the outbox, to a
// summary service (a local server that checks the request, fetches the file
// and calls back as the real one would); its callback moves the recording to
// external_process_successful, and a redelivery changes nothing.
func TestSummaryService(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + ln.Addr().String() + "/webhooks/summary"
	fetched := make(chan []byte, 2)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req core.SummaryRequest
		if r.Header.Get("Authorization") != "Bearer svc-token" || json.NewDecoder(r.Body).Decode(&req) != nil || req.CallbackURL != callback {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		res, err := http.Get(req.DownloadURL)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fetched <- b
		w.WriteHeader(http.StatusAccepted)
		go func() { // the service reports back later, with its own token
			body := `{"recording_id":"` + req.RecordingID + `","status":"success"}`
			cb, _ := http.NewRequest("POST", req.CallbackURL, strings.NewReader(body))
			cb.Header.Set("Authorization", "Bearer cb-token")
			if res, err := http.DefaultClient.Do(cb); err == nil {
				res.Body.Close()
			}
		}()
	}))
	defer svc.Close()
	s := newStackOn(t, ln, func(srv *api.Server) {
		srv.Summary = api.SummarySettings{URL: svc.URL, CallbackURL: callback, CallbackToken: "cb-token", DownloadTTL: time.Hour}
	})
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	rec := s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingActive)
	content := []byte("OggS transcript audio")
	if _, err := s.bucket.Client.PutObject(ctx, s.bucket.Name, rec.Key(), bytes.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if status, msg := postStorage(t, s.url, "", storageToken, minioEvent(s.bucket.Name, rec.Key(), "audio/ogg")); status != 200 {
		t.Fatalf("storage webhook = %d %s", status, msg)
	}

	mp := testenv.Mailpit(t)
	sender, err := mail.NewSender(mail.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: mail.TLSNone, From: "meet@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	router := mail.Router{Default: sender, ByKind: map[string]mail.Transport{
		core.KindSummaryRequest: mail.SummaryTransport{URL: svc.URL, Token: "svc-token", HTTP: http.DefaultClient}}}
	if _, err := mail.NewWorker(postgres.NewOutbox(s.db), router).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-fetched:
		if !bytes.Equal(b, content) {
			t.Errorf("the service fetched %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the summary service was never asked")
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	eventually(t, tctx, "the summary callback", func() bool {
		got, err := s.server.Recordings.FindRecording(ctx, rec.ID)
		return err == nil && got.Status == core.RecordingExternalSucceeded
	})
	mp.WaitMessages(1, 10*time.Second) // the owner's "ready" notice went by mail

	post := func(token, body string) int {
		req, _ := http.NewRequest("POST", s.url+"/webhooks/summary", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tt := range []struct {
		name, token, body string
		status            int
	}{
		{"redelivery", "cb-token", `{"recording_id":"` + rec.ID + `","status":"success"}`, 200},
		{"no token", "", `{"recording_id":"` + rec.ID + `","status":"success"}`, 401},
		{"wrong token", "svc-token", `{"recording_id":"` + rec.ID + `","status":"success"}`, 401},
		{"bad status", "cb-token", `{"recording_id":"` + rec.ID + `","status":"maybe"}`, 400},
		{"malformed", "cb-token", `not json`, 400},
		{"unknown", "cb-token", `{"recording_id":"0f0e0d0c-0000-4000-8000-000000000000","status":"success"}`, 404},
		{"contradicts", "cb-token", `{"recording_id":"` + rec.ID + `","status":"failure"}`, 409},
	} {
		if got := post(tt.token, tt.body); got != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.status)
		}
	}
}

// TestSummaryFollowsTranscribe: a saved transcript goes to the summary
// service, and so does a screen recording started with transcribe; one
// without it does not.
func TestSummaryFollowsTranscribe(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) {
		srv.Summary = api.SummarySettings{URL: "http://127.0.0.1:9/summary", CallbackURL: "http://127.0.0.1:9/cb", DownloadTTL: time.Hour}
	})
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	for _, tt := range []struct {
		name        string
		mode        core.RecordingMode
		transcribe  bool
		contentType string
		jobs        int
	}{
		{"transcript", core.ModeTranscript, false, "audio/ogg", 1},
		{"screen recording, transcribed", core.ModeScreenRecording, true, "video/mp4", 1},
		{"screen recording", core.ModeScreenRecording, false, "video/mp4", 0},
	} {
		f := s.newFixture(t, cs, ids, "+33123456789")
		rec := &core.Recording{RoomID: f.room.Id, Mode: tt.mode, StartedBy: ids[owner], Options: core.RecordingOptions{Transcribe: tt.transcribe}}
		if err := s.server.Recordings.CreateRecording(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if _, err := s.server.Recordings.SetStatus(ctx, rec.ID, core.RecordingActive, core.RecordingInitiated); err != nil {
			t.Fatal(err)
		}
		if _, err := s.bucket.Client.PutObject(ctx, s.bucket.Name, rec.Key(), bytes.NewReader([]byte("media")), 5, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if status, msg := postStorage(t, s.url, "", storageToken, minioEvent(s.bucket.Name, rec.Key(), tt.contentType)); status != 200 {
			t.Fatalf("%s: storage webhook = %d %s", tt.name, status, msg)
		}
		var jobs int
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = $1 AND text_body LIKE '%' || $2 || '%'`,
			core.KindSummaryRequest, rec.ID).Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != tt.jobs {
			t.Errorf("%s: %d summary jobs, want %d", tt.name, jobs, tt.jobs)
		}
	}
}
