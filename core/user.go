package core

import (
	"context"
	"strings"
	"time"
)

// User is a person who signed in through the identity provider at least once.
type User struct {
	ID        string
	Sub       string // the identity provider's subject; unique
	Email     string
	FullName  string
	ShortName string
	Language  string // one of Languages
	TimeZone  string // IANA name
	// DefaultAccessLevel is the level of the rooms they create when
	// CreateRoom says none; "" until they choose: the deployment's default.
	DefaultAccessLevel AccessLevel
	// MarketingConsent: they agreed to join the marketing list.
	MarketingConsent bool
	// LanguageChosen and TimeZoneChosen say the user chose them (UpdateMe):
	// sign-in then leaves them as they are.
	LanguageChosen bool
	TimeZoneChosen bool
	// Operator may manage trunks and read the call records (TrunkService,
	// CallService) signed in as themselves; the operator service token grants it.
	Operator  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// Created is set by SignIn when that call created the user: their first sign-in.
	Created bool
}

// Claims are what a verified identity token says about its bearer.
type Claims struct {
	Sub       string
	Email     string
	FullName  string
	ShortName string
	Language  string // one of Languages, from the OIDC locale; "" when none fits
	TimeZone  string // IANA name, from the OIDC zoneinfo; "" when absent or unknown
	// EmailVerified is set when the identity provider says Email is the
	// bearer's (email_verified true); only such an address may take over an
	// account (SignIn's matchEmail).
	EmailVerified bool
	Expiry        time.Time // when the token that says so expires
}

// LanguageFor maps a BCP 47 locale ("fr-FR", "fr_FR", "fr") to one of
// Languages, by exact tag first and then by its language alone; "" when none
// fits.
func LanguageFor(locale string) string {
	tag := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
	if tag == "" {
		return ""
	}
	if IsLanguage(tag) {
		return tag
	}
	base, _, _ := strings.Cut(tag, "-")
	for _, l := range Languages {
		if strings.HasPrefix(l, base+"-") {
			return l
		}
	}
	return ""
}

// UserUpdate holds the fields a user may change about themselves; nil leaves a field as it is.
type UserUpdate struct {
	Language           *string
	TimeZone           *string
	DefaultAccessLevel *AccessLevel
	MarketingConsent   *bool
}

// UserService stores users.
type UserService interface {
	// SignIn finds the user with claims.Sub, creating them on first sight, and
	// updates the claims that changed; an empty claim never overwrites, and
	// language and time zone change only until the user chose their own. When
	// matchEmail is set, a new sub whose verified e-mail (case-insensitively)
	// belongs to exactly one user takes over that user; several such users →
	// EFORBIDDEN; an unverified e-mail takes over no one. A sign-in that writes
	// the user's address (the identity provider drops unverified ones) turns
	// the pending accesses of that address into theirs.
	SignIn(ctx context.Context, claims Claims, matchEmail bool) (*User, error)
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUsersByEmail returns the users with these addresses (compared
	// case-insensitively), keyed by the lower-cased address.
	FindUsersByEmail(ctx context.Context, emails []string) (map[string]*User, error)
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// SetOperator grants (or revokes) the operator role of the user who
	// is: a user id, or an e-mail address exactly one user has (else
	// ENOTFOUND, or EPRECONDITION when several users share it).
	SetOperator(ctx context.Context, who string, operator bool) (*User, error)
	// ListOperators returns the users with the operator role, by e-mail.
	ListOperators(ctx context.Context) ([]*User, error)
}
