package api

import (
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/meetline/meetline/core"
)

// mediaPath is what nginx asks about: /media/recordings/<uuid>.<ext>.
var mediaPath = regexp.MustCompile(`^/media/(` + core.RecordingFolder + `/([0-9a-f-]{36})\.([a-z0-9]+))$`)

// mediaAuth handles GET /media-auth for nginx's auth_request: it authorises
// a download of the recording named by X-Original-URL for the caller (the
// browser's own Authorization travels with the subrequest) and, when
// allowed, answers 200 with the SigV4 headers nginx forwards to the bucket.
type mediaAuth struct {
	*Server
	auth *authenticator
}

func (h *mediaAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := recordingOf(r.Header.Get("X-Original-URL"))
	if m == nil {
		http.Error(w, "not a recording URL", http.StatusBadRequest)
		return
	}
	if m[3] != "mp4" && m[3] != "ogg" {
		http.Error(w, "unsupported file type", http.StatusBadRequest)
		return
	}
	caller, err := h.auth.caller(r.Context(), r.Header.Get("Authorization"), "")
	if err != nil || caller.User == nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	ctx := core.WithCaller(r.Context(), caller)
	rec, err := h.Recordings.FindRecording(ctx, m[2])
	if err != nil || rec.Mode.Extension() != m[3] {
		http.Error(w, "no such recording", http.StatusNotFound)
		return
	}
	role, err := h.callerRole(ctx, rec.RoomID)
	switch {
	case err != nil:
		http.Error(w, "failed", http.StatusInternalServerError)
		return
	case !role.IsAdmin():
		http.Error(w, "not allowed", http.StatusForbidden)
		return
	case !rec.Status.Saved():
		http.Error(w, "not saved yet", http.StatusForbidden)
		return
	case h.expired(rec):
		http.Error(w, "expired", http.StatusGone)
		return
	}
	headers, err := h.Bucket.SignedGetHeaders(m[1])
	if err != nil {
		http.Error(w, "failed", http.StatusInternalServerError)
		return
	}
	for k, v := range headers {
		w.Header()[k] = v
	}
	w.WriteHeader(http.StatusOK)
}

// recordingOf matches mediaPath against the path of rawURL (nginx's
// $request_uri, or a full URL): [whole path, key, id, extension], or nil when
// rawURL is no URL or names no recording.
func recordingOf(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	return mediaPath.FindStringSubmatch(u.EscapedPath())
}

// expired reports whether rec is past its expiry: deleted by the expiry job,
// or due and waiting for the job's next pass (its file may still be there).
func (s *Server) expired(rec *core.Recording) bool {
	at, ok := rec.ExpiresAt(s.Recording.ExpirationDays)
	return !rec.ExpiredAt.IsZero() || (ok && time.Now().After(at))
}
