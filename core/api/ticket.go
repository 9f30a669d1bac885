package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/meetline/meetline/core"
)

// tickets sign lobby tickets: a participant id bound to a room by an HMAC, so
// a waiting person proves who they are on later calls without cookies or
// sessions, and a ticket for one room opens nothing in another.
type tickets struct {
	secret []byte
}

func (t tickets) mac(room, participant string) string {
	h := hmac.New(sha256.New, t.secret)
	h.Write([]byte(room))
	h.Write([]byte{0})
	h.Write([]byte(participant))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// issue returns the ticket of participant in room.
func (t tickets) issue(room, participant string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(participant)) + "." + t.mac(room, participant)
}

// open checks a ticket for room and returns its participant id.
func (t tickets) open(room, ticket string) (string, error) {
	bad := core.Invalid("ticket", "is not a ticket for this room")
	enc, mac, ok := strings.Cut(ticket, ".")
	if !ok || len(ticket) > 200 {
		return "", bad
	}
	id, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(id) == 0 {
		return "", bad
	}
	if !hmac.Equal([]byte(mac), []byte(t.mac(room, string(id)))) {
		return "", bad
	}
	return string(id), nil
}
