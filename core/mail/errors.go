package mail

import (
	"errors"

	gomail "github.com/wneessen/go-mail"
)

// permanentError marks a failure that no retry can fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// Permanent reports whether retrying err cannot help: the message cannot be
// built, or the server refused it with a 5yz reply, a "permanent negative
// completion" (RFC 5321 §4.2.1) such as 550 no such user. Everything else —
// no connection, a 4yz reply, a failed TLS handshake or login — may pass
// once the server or its configuration is fixed, so it is retried.
func Permanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return code >= 500 && code < 600
	}
	return false
}
