package oidc

import "github.com/meetline/meetline/core"

// rejection is an EUNAUTHORIZED error that remembers why the token was
// refused. errors.As finds its *core.Error, whose message is fixed text safe
// to return to the client; Error adds the library's reason for the log.
type rejection struct {
	err   *core.Error
	cause error
}

func reject(msg string, cause error) error {
	return &rejection{err: core.Errorf(core.EUNAUTHORIZED, "%s", msg), cause: cause}
}

func (r *rejection) Error() string {
	if r.cause == nil {
		return r.err.Error()
	}
	return r.err.Error() + " (" + r.cause.Error() + ")"
}

func (r *rejection) Unwrap() error { return r.err }
