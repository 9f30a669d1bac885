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
	a, b := tokenSum(got), tokenSum(want)
	return want != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// tokenSum hashes a token, copied to the stack when it is short enough (any
// service token is), as a conversion to []byte would copy it to the heap.
func tokenSum(token string) [sha256.Size]byte {
	var buf [256]byte
	if len(token) > len(buf) {
		return sha256.Sum256([]byte(token))
	}
	return sha256.Sum256(append(buf[:0], token...))
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
