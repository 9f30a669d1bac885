package core

import (
	"errors"
	"fmt"
	"time"
)

// ErrorCode classifies a domain error. The API layer maps each code to a
// Connect code; adapters translate their own failures into these.
type ErrorCode string

const (
	EINVALID      ErrorCode = "invalid"      // a field's value is not acceptable
	ENOTFOUND     ErrorCode = "not_found"    // the thing does not exist (or is hidden from the caller)
	ECONFLICT     ErrorCode = "conflict"     // it already exists
	EFORBIDDEN    ErrorCode = "forbidden"    // the caller may not do this
	EUNAUTHORIZED ErrorCode = "unauthorized" // the caller is not who they claim, or did not say
	EPRECONDITION ErrorCode = "precondition" // the system is not in a state that allows it
	ELIMITED      ErrorCode = "limited"      // too many attempts; try again later
	EUNAVAILABLE  ErrorCode = "unavailable"  // a dependency is down; retrying may help
	EINTERNAL     ErrorCode = "internal"     // a bug or an unexpected failure
)

// Error is a domain error meant to be shown to the caller: Message is safe to
// return as is. Field names the offending request field for EINVALID.
type Error struct {
	Code    ErrorCode
	Field   string
	Message string
	// RetryAfter, for ELIMITED and a wrong PIN's tarpit (ENOTFOUND), is how
	// long the caller should wait.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Code returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func Code(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
