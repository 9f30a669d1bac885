package api

import (
	"errors"
	"io"
	"net/http"
	"regexp"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/storage"
)

// recordingKey matches the keys recordings are written to: recordings/<uuid>.<mp4|ogg>.
var recordingKey = regexp.MustCompile(`^` + core.RecordingFolder + `/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(mp4|ogg)$`)

// storageWebhook handles POST /webhooks/storage: the bucket's "object
// created" events, one way a recording is finalised (egress_ended is the
// other; whichever comes first acts, the other finds it done).
type storageWebhook struct {
	*Server
}

func (h *storageWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, msg string) {
		h.metrics.webhooks.WithLabelValues("storage", "object", http.StatusText(status)).Inc()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, msg+"\n")
	}
	if !h.storageTokenOK(r) {
		reply(http.StatusUnauthorized, "unauthorized")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		reply(http.StatusRequestEntityTooLarge, "body over 1 MiB")
		return
	}
	events, isTest, err := storage.ParseEvents(body)
	switch {
	case err != nil:
		reply(http.StatusBadRequest, "not an S3 event notification")
		return
	case isTest:
		reply(http.StatusOK, "test event")
		return
	}
	for _, ev := range events {
		if ev.Bucket != h.Bucket.BucketName() {
			reply(http.StatusForbidden, "not our bucket")
			return
		}
	}
	status, msg := http.StatusOK, "ignored"
	for _, ev := range events {
		if status, msg = h.finalise(r, ev); status != http.StatusOK {
			break
		}
	}
	reply(status, msg)
}

// storageTokenOK checks the bearer token (MinIO) or the token query
// parameter (versitygw sends no Authorization header).
func (h *storageWebhook) storageTokenOK(r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if tok := bearer(r.Header.Get("Authorization")); tok != "" {
		got = tok
	}
	return tokenEqual(got, h.Recorder.WebhookToken)
}

// finalise saves the recording an event's object belongs to. Objects that
// are not recordings, events that are not creations, and a content type that
// does not match the recording's mode are ignored.
func (h *storageWebhook) finalise(r *http.Request, ev storage.ObjectEvent) (int, string) {
	m := recordingKey.FindStringSubmatch(ev.Key)
	if m == nil || !ev.Created() {
		return http.StatusOK, "ignored"
	}
	rec, err := h.Recordings.FindRecording(r.Context(), m[1])
	if core.Code(err) == core.ENOTFOUND {
		return http.StatusNotFound, "unknown recording"
	}
	if err != nil {
		return http.StatusInternalServerError, "failed"
	}
	if rec.Mode.Extension() != m[2] || (ev.ContentType != "" && ev.ContentType != rec.Mode.ContentType()) {
		return http.StatusOK, "ignored"
	}
	if rec.Status.Saved() {
		return http.StatusOK, "already saved"
	}
	if !rec.Status.Savable() {
		return http.StatusConflict, "recording is " + string(rec.Status)
	}
	saved, err := h.Recordings.SetStatus(r.Context(), rec.ID, core.RecordingSaved, core.RecordingFrom[core.RecordingSaved]...)
	if core.Code(err) == core.EPRECONDITION {
		return http.StatusOK, "already saved"
	}
	if err == nil {
		err = h.recordingSaved(r.Context(), saved)
	}
	if err != nil {
		h.Logger.Error("storage webhook failed", "recording", rec.ID, "err", err)
		return http.StatusInternalServerError, "failed"
	}
	return http.StatusOK, "saved"
}
