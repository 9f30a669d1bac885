package dtmf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Content types of SIP INFO bodies that carry a key press.
const (
	// TypeDTMFRelay is the body "Signal=5\r\nDuration=160\r\n" that most phones and SBCs send.
	TypeDTMFRelay = "application/dtmf-relay"
	// TypeDTMF is a bare key, "5" (sometimes followed by CRLF).
	TypeDTMF = "application/dtmf"
)

// Errors of [ParseInfo]; test with errors.Is. [StatusCode] maps them to the SIP response.
var (
	// ErrUnsupportedType: the body is not one of the DTMF types; answer 415 Unsupported Media Type.
	ErrUnsupportedType = errors.New("dtmf: unsupported INFO content type")
	// ErrMalformed: a DTMF body that cannot be read; answer 400 Bad Request.
	ErrMalformed = errors.New("dtmf: malformed INFO body")
	// ErrNoDigit: a well-formed INFO that carries no key (hook flash, or an empty keep-alive INFO);
	// answer 200 OK and count nothing.
	ErrNoDigit = errors.New("dtmf: INFO carries no digit")
)

// ParseInfo reads the key press of a SIP INFO request from its Content-Type header value and body.
//
// Content-type parameters (";charset=...") and case are ignored. For application/dtmf-relay the first
// Signal line counts; keys are matched without regard to case, lines may end in CRLF or LF, spaces around
// keys and values are ignored, and other lines (Duration) are skipped. The signal — and the bare body of
// application/dtmf — is either the key itself ('0'–'9', '*', '#', 'A'–'D', letters in either case) or its
// RFC 4733 event code, which some phones send: "10" for '*', "11" for '#', "12"–"15" for 'A'–'D'. Flash
// ("16" or "!") returns [ErrNoDigit]. An application/dtmf body written like a dtmf-relay one is accepted too.
// An INFO with neither content type nor body (a keep-alive) returns [ErrNoDigit].
//
// ParseInfo does not allocate unless it returns an error.
func ParseInfo(contentType string, body []byte) (digit byte, err error) {
	switch mt := mediaType(contentType); {
	case strings.EqualFold(mt, TypeDTMFRelay):
		digit, err = parseRelay(body)
	case strings.EqualFold(mt, TypeDTMF):
		digit, err = parseBareBody(body)
	case mt == "" && len(bytes.TrimSpace(body)) == 0:
		return 0, ErrNoDigit
	default:
		return 0, fmt.Errorf("content type %.64q: %w", contentType, ErrUnsupportedType)
	}
	if err != nil {
		return 0, fmt.Errorf("%s body %.64q: %w", mediaType(contentType), body, err)
	}
	return digit, nil
}

// StatusCode is the SIP response to an INFO request given the error [ParseInfo] or [Receiver.INFO] returned
// for it: 200 when it was understood, with or without a key, and for a retransmission; 415 for another
// content type; 500 for a request out of CSeq order (RFC 3261 §12.2.2); 400 for a malformed body.
func StatusCode(err error) int {
	switch {
	case err == nil, errors.Is(err, ErrNoDigit), errors.Is(err, ErrDuplicate):
		return 200
	case errors.Is(err, ErrUnsupportedType):
		return 415
	case errors.Is(err, ErrOutOfOrder):
		return 500
	}
	return 400
}

// mediaType is the type/subtype of a Content-Type value, without parameters and surrounding spaces.
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return strings.TrimSpace(contentType)
}

// parseRelay reads the first Signal line of an application/dtmf-relay body.
func parseRelay(body []byte) (byte, error) {
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte{'\n'})
		key, value, ok := bytes.Cut(line, []byte{'='})
		if ok && bytes.EqualFold(bytes.TrimSpace(key), []byte("signal")) {
			return parseSignal(bytes.TrimSpace(value))
		}
	}
	return 0, fmt.Errorf("no Signal line: %w", ErrMalformed)
}

// parseBareBody reads an application/dtmf body: one key, or a dtmf-relay body sent under this type.
func parseBareBody(body []byte) (byte, error) {
	if bytes.IndexByte(body, '=') >= 0 {
		return parseRelay(body)
	}
	return parseSignal(bytes.TrimSpace(body))
}

// parseSignal reads a key given as itself or as its RFC 4733 event code.
func parseSignal(v []byte) (byte, error) {
	if code, ok := eventCode(v); ok {
		if code == EventFlash {
			return 0, ErrNoDigit
		}
		if d, ok := Digit(code); ok {
			return d, nil
		}
		return 0, fmt.Errorf("event code %d: %w", code, ErrMalformed)
	}
	if len(v) == 1 {
		c := v[0]
		if c >= 'a' && c <= 'd' {
			c -= 'a' - 'A'
		}
		if IsDigit(c) {
			return c, nil
		}
		if c == '!' {
			return 0, ErrNoDigit
		}
	}
	return 0, fmt.Errorf("signal %.16q: %w", v, ErrMalformed)
}

// eventCode parses one to three decimal digits.
func eventCode(v []byte) (uint8, bool) {
	if len(v) == 0 || len(v) > 3 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 255 {
		return 0, false
	}
	return uint8(n), true
}
