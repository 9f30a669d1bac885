package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/meetline/meetline/core"
)

// summaryWebhook handles POST /webhooks/summary: the summary service says a
// transcript's summary succeeded or failed. Redelivery is a no-op.
type summaryWebhook struct {
	*Server
}

func (h *summaryWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, msg string) {
		h.metrics.webhooks.WithLabelValues("summary", "callback", http.StatusText(status)).Inc()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, msg+"\n")
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	a, b := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(h.Summary.CallbackToken))
	if h.Summary.CallbackToken == "" || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		reply(http.StatusUnauthorized, "unauthorized")
		return
	}
	var body struct {
		RecordingID string `json:"recording_id"`
		Status      string `json:"status"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxWebhookBody))
	if err := dec.Decode(&body); err != nil || body.RecordingID == "" || (body.Status != "success" && body.Status != "failure") {
		reply(http.StatusBadRequest, `want {"recording_id":…,"status":"success"|"failure"}`)
		return
	}
	to := core.RecordingExternalSucceeded
	if body.Status == "failure" {
		to = core.RecordingExternalFailed
	}
	rec, err := h.Recordings.SetStatus(r.Context(), body.RecordingID, to, core.RecordingFrom[to]...)
	switch {
	case err == nil:
		reply(http.StatusOK, "processed")
	case core.Code(err) == core.ENOTFOUND:
		reply(http.StatusNotFound, "unknown recording")
	case core.Code(err) == core.EPRECONDITION && rec.Status == to:
		reply(http.StatusOK, "already processed")
	case core.Code(err) == core.EPRECONDITION:
		reply(http.StatusConflict, "recording is "+string(rec.Status))
	default:
		h.Logger.Error("summary webhook failed", "recording", body.RecordingID, "err", err)
		reply(http.StatusInternalServerError, "failed")
	}
}
