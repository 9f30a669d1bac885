package core

import (
	"context"
	"time"
)

// PINAttempts limits failed PIN entries so that PINs cannot be found by
// guessing: per caller, and per dialled number (which bounds guessing spread
// over many callers). Every core replica shares the counters.
type PINAttempts interface {
	// Check returns an ELIMITED error with RetryAfter when the caller or the
	// number has used up its failed attempts.
	Check(ctx context.Context, caller string, called PhoneNumber) error
	// Fail records a failed attempt.
	Fail(ctx context.Context, caller string, called PhoneNumber) error
}

// AttemptLimit allows Max failures per Window.
type AttemptLimit struct {
	Max    int
	Window time.Duration
}
