package core

import (
	"context"
	"time"
)

// User is a person who signed in through the identity provider at least once.
type User struct {
	ID                 string
	Sub                string // the identity provider's subject; unique
	Email              string
	FullName           string
	ShortName          string
	Language           string // one of Languages
	TimeZone           string // IANA name
	DefaultAccessLevel AccessLevel
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// Created is set by SignIn when that call created the user: their first sign-in.
	Created bool
}

// Claims are what a verified identity token says about its bearer.
type Claims struct {
	Sub       string
	Email     string
	FullName  string
	ShortName string
	// EmailVerified is set when the identity provider says Email is the
	// bearer's (email_verified true); only such an address may take over an
	// account (SignIn's matchEmail).
	EmailVerified bool
	Expiry        time.Time // when the token that says so expires
}

// UserUpdate holds the fields a user may change about themselves; nil leaves a field as it is.
type UserUpdate struct {
	Language           *string
	TimeZone           *string
	DefaultAccessLevel *AccessLevel
}

// UserService stores users.
type UserService interface {
	// SignIn finds the user with claims.Sub, creating them on first sight, and
	// updates the claims that changed; an empty claim never overwrites. When
	// matchEmail is set, a new sub whose verified e-mail (case-insensitively)
	// belongs to exactly one user takes over that user; several such users →
	// EFORBIDDEN. An unverified e-mail takes over no one.
	SignIn(ctx context.Context, claims Claims, matchEmail bool) (*User, error)
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUsersByEmail returns the users with these addresses (compared
	// case-insensitively), keyed by the lower-cased address.
	FindUsersByEmail(ctx context.Context, emails []string) (map[string]*User, error)
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
}
