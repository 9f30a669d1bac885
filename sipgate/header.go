package sipgate

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Every value sipgate writes into the LiveKit leg's X-Meet-* headers (as headers of its own INVITE, or as
// URI headers of a REFER's Refer-To) passes a headerSpec first: nothing the caller sent reaches LiveKit as raw
// bytes. sipgo accepts a bare LF inside a Call-ID, and re-emitting it would let a lenient parser downstream
// read injected X-Meet-* headers; a megabyte Call-ID would ride along too.

// headerSpec bounds one header value: its length and the bytes it may hold.
type headerSpec struct {
	max   int
	bytes string // allowed besides ASCII letters and digits
}

var (
	// idSpec: the room ids and roles the core makes (UUIDs, "guest").
	idSpec = headerSpec{max: 64, bytes: "-_."}
	// callIDSpec: RFC 3261 §25.1 Call-ID (word ["@" word]) without the characters that quote or bracket
	// elsewhere ('"', '\\', '<', '>'), up to 128 bytes, which every real Call-ID fits.
	callIDSpec = headerSpec{max: 128, bytes: "-.!%*_+`'~()@:/[]?{}"}
)

// value returns v when it fits the spec, otherwise a digest of it ("h-" and 32 hex digits) that fits every
// spec: a stranger's value never passes, and the same value still gives the same digest, so logs and
// attributes still match each other.
func (sp headerSpec) value(v string) string {
	if v == "" || sp.fits(v) {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "h-" + hex.EncodeToString(sum[:16])
}

func (sp headerSpec) fits(v string) bool {
	if len(v) > sp.max {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(sp.bytes, c) >= 0) {
			return false
		}
	}
	return true
}

// meetHeaders are the X-Meet-* headers of a call's leg to LiveKit, names and checked values, in the order
// they are sent.
func meetHeaders(roomID, role, callID string) [3][2]string {
	return [3][2]string{
		{headerRoomID, idSpec.value(roomID)},
		{headerRole, idSpec.value(role)},
		{headerCallID, callIDSpec.value(callID)},
	}
}
