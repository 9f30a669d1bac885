package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"
	"strings"
)

// webhookReply answers a webhook with a short text and counts it by source,
// event and status.
func (s *Server) webhookReply(w http.ResponseWriter, source, event string, status int, msg string) {
	s.metrics.webhooks.WithLabelValues(source, event, http.StatusText(status)).Inc()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// tokenEqual compares a presented secret with the configured one in constant
// time, over hashes of equal length, so timing tells nothing about how close
// a guess was. An unconfigured secret matches nothing.
func tokenEqual(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return want != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// bearer returns the token of an "Authorization: Bearer <token>" header
// (RFC 6750 §2.1; the scheme is case-insensitive), or "".
func bearer(header string) string {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return tok
}
