package core

import "context"

// Caller is who makes a request: a signed-in user, a service (sipgate,
// operator) authenticated by its token, or nobody (both empty).
type Caller struct {
	User    *User
	Service string
}

// Authenticated reports whether the caller is a signed-in user.
func (c *Caller) Authenticated() bool { return c != nil && c.User != nil }

type callerKey struct{}

// WithCaller returns a context carrying c.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the context's caller; an anonymous caller when none was set.
func CallerFrom(ctx context.Context) *Caller {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok && c != nil {
		return c
	}
	return &Caller{}
}
