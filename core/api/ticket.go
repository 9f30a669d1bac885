package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/meetline/meetline/core"
)

// tickets sign lobby tickets: a participant id bound by an HMAC to a room,
// to the signed-in account that asked (or to none) and to an expiry, so a
// waiting person proves who they are on later calls without cookies or
// sessions; a ticket for one room opens nothing in another, one issued to an
// account opens nothing for anyone else, and none replays for long.
type tickets struct {
	secret []byte
	ttl    time.Duration
}

func (t tickets) mac(room, participant, subject, expiry string) string {
	h := hmac.New(sha256.New, t.secret)
	for _, f := range []string{room, participant, subject} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	h.Write([]byte(expiry))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// issue returns the ticket of participant in room for subject (the
// signed-in user's id, "" for a guest), valid for ttl from now.
func (t tickets) issue(room, participant, subject string, now time.Time) string {
	expiry := strconv.FormatInt(now.Add(t.ttl).UnixMilli(), 36)
	return base64.RawURLEncoding.EncodeToString([]byte(participant)) + "." + expiry + "." +
		t.mac(room, participant, subject, expiry)
}

// open checks a ticket for room and subject at now and returns its
// participant id.
func (t tickets) open(room, subject, ticket string, now time.Time) (string, error) {
	bad := core.Invalid("ticket", "is not a ticket for this room and this person")
	parts := strings.Split(ticket, ".")
	if len(parts) != 3 || len(ticket) > 200 {
		return "", bad
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || len(id) == 0 {
		return "", bad
	}
	if !hmac.Equal([]byte(parts[2]), []byte(t.mac(room, string(id), subject, parts[1]))) {
		return "", bad
	}
	expiry, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil || now.UnixMilli() >= expiry {
		return "", core.Invalid("ticket", "has expired; ask to enter again without it")
	}
	return string(id), nil
}
