package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/meetline/meetline/core"
)

// summaryWebhook handles POST /webhooks/summary: the summary service says a
// transcript's summary succeeded or failed. Redelivery is a no-op.
type summaryWebhook struct {
	*Server
}

func (h *summaryWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, msg string) { h.webhookReply(w, "summary", "callback", status, msg) }
	if !tokenEqual(bearer(r.Header.Get("Authorization")), h.Summary.CallbackToken) {
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
