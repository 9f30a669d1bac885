package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
)

// FuzzLiveKitWebhook signs arbitrary bodies with the real key, so that the
// fuzzer gets past the signature into the parser and the event handling: the
// handler must answer 200 or 400, never panic or fail.
func FuzzLiveKitWebhook(f *testing.F) {
	s := newStack(f)
	key, secret := testenv.Getenv(f, "LIVEKIT_API_KEY"), testenv.Getenv(f, "LIVEKIT_API_SECRET")
	for _, ev := range []*lkproto.WebhookEvent{
		{Id: "EV_1", Event: "room_started", Room: &lkproto.Room{Name: "r"}},
		{Id: "EV_2", Event: "participant_joined", Room: &lkproto.Room{Name: "r"}, Participant: &lkproto.ParticipantInfo{Identity: "a"}},
		{Id: "EV_3", Event: "room_finished", Room: &lkproto.Room{Name: "connection-test-1"}},
		{Event: "egress_ended", EgressInfo: &lkproto.EgressInfo{RoomName: "r"}},
	} {
		f.Add(event(f, ev))
	}
	f.Add([]byte(`{"event":"room_started","room":{"name":"` + string(make([]byte, 300)) + `"}}`))
	f.Add([]byte(`{"event":12}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if status, msg := postWebhook(t, s.url, sign(t, key, secret, body), body); status != http.StatusOK && status != http.StatusBadRequest {
			t.Fatalf("status %d (%s) for %q", status, msg, body)
		}
	})
}

// serve calls s's handler directly with r: a panic fails the fuzz target
// (net/http would recover it and drop the connection).
func (s *stack) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

// FuzzMediaAuth sends nginx's auth subrequest with arbitrary X-Original-URL
// and Authorization headers, from a real saved recording and its owner's
// token on: the answer is 200 or a 4xx, never a panic or a 5xx.
func FuzzMediaAuth(f *testing.F) {
	s := newStack(f)
	cs, ids := s.principalClients(f)
	fx := s.newFixture(f, cs, ids, "+33123456789")
	saved := s.seedRecording(f, fx.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	owner := "Bearer " + s.token(f, f.Name()+"-owner")
	for _, seed := range [][2]string{
		{"https://meet.example/media/" + saved.Key(), owner},
		{"/media/" + saved.Key(), owner},
		{"/media/" + saved.Key(), ""},
		{"/media/recordings/" + saved.ID + ".ogg", owner},
		{"/media/recordings/%zz.mp4", owner}, // crashed the handler once
		{"http://[::1/media/x", owner},
		{"", "Bearer " + sipgateToken},
		{"/media/recordings/0f0e0d0c-0000-4000-8000-000000000000.mp4", "Bearer not-a-jwt"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, originalURL, authorization string) {
		r := httptest.NewRequest("GET", "/media-auth", nil)
		r.Header["X-Original-Url"] = []string{originalURL}
		r.Header["Authorization"] = []string{authorization}
		switch w := s.serve(r); w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		default:
			t.Fatalf("status %d (%s) for %q, %q", w.Code, w.Body, originalURL, authorization)
		}
	})
}

// FuzzStorageWebhook posts arbitrary bodies with the right token, so that
// the fuzzer gets past authentication into the S3 event parser and the
// finalisation: the answer is 200 or a 4xx, never a panic or a 5xx.
func FuzzStorageWebhook(f *testing.F) {
	s := newStack(f)
	cs, ids := s.principalClients(f)
	fx := s.newFixture(f, cs, ids, "+33123456789")
	bucket := s.bucket.Name
	active := s.seedRecording(f, fx.room.Id, core.ModeScreenRecording, core.RecordingActive)
	other := s.newFixture(f, cs, ids, "+33123456789")
	initiated := s.seedRecording(f, other.room.Id, core.ModeTranscript, core.RecordingInitiated)
	for _, seed := range []string{
		minioEvent(bucket, active.Key(), "video/mp4"),
		minioEvent(bucket, initiated.Key(), "audio/ogg"),
		minioEvent(bucket, "recordings/0f0e0d0c-0000-4000-8000-000000000000.mp4", ""),
		minioEvent("elsewhere", active.Key(), "video/mp4"),
		`{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"` + bucket + `"},"object":{"key":"room 1/rec-001.ogg","size":1}}}]}`,
		`{"Bucket":"Test-Bucket","Event":"s3:TestEvent"}`,
		`{"Records":[{"s3":{"object":{"key":"%zz"}}}]}`,
		`{"Records":null}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/webhooks/storage", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+storageToken)
		if w := s.serve(r); w.Code >= 500 {
			t.Fatalf("status %d (%s) for %q", w.Code, w.Body, body)
		}
	})
}

// FuzzSummaryWebhook posts arbitrary bodies with the right token to the
// summary service's callback: the answer is 200 or a 4xx, never a panic or
// a 5xx.
func FuzzSummaryWebhook(f *testing.F) {
	s := newStack(f, func(srv *api.Server) { srv.Summary.CallbackToken = "cb-token" })
	cs, ids := s.principalClients(f)
	fx := s.newFixture(f, cs, ids, "+33123456789")
	rec := s.seedRecording(f, fx.room.Id, core.ModeTranscript, core.RecordingSaved)
	for _, seed := range []string{
		`{"recording_id":"` + rec.ID + `","status":"success"}`,
		`{"recording_id":"` + rec.ID + `","status":"failure"}`,
		`{"recording_id":"0f0e0d0c-0000-4000-8000-000000000000","status":"success"}`,
		`{"recording_id":"not-a-uuid","status":"success"}`,
		`{"recording_id":"` + rec.ID + `\u0000","status":"success"}`,
		`{"recording_id":1}`,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/webhooks/summary", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer cb-token")
		if w := s.serve(r); w.Code >= 500 {
			t.Fatalf("status %d (%s) for %q", w.Code, w.Body, body)
		}
	})
}
