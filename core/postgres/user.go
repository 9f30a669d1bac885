package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// UserService implements core.UserService.
type UserService struct {
	db *DB
}

var _ core.UserService = (*UserService)(nil)

// NewUserService returns a UserService on db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

const userColumns = `id, sub, email, full_name, short_name, language, timezone, coalesce(default_access_level, ''),
	language_chosen, timezone_chosen, operator, marketing_consent, created_at, updated_at`

func scanUser(row pgx.Row) (*core.User, error) {
	var u core.User
	err := row.Scan(&u.ID, &u.Sub, &u.Email, &u.FullName, &u.ShortName, &u.Language, &u.TimeZone,
		&u.DefaultAccessLevel, &u.LanguageChosen, &u.TimeZoneChosen, &u.Operator, &u.MarketingConsent, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// upsertUser creates the user or refreshes their claims in one statement, so
// two first sign-ins of the same sub cannot race into two users. An empty
// claim keeps the stored value: providers often leave out optional claims.
// updated_at moves only when a claim really changed.
const upsertUser = `
	INSERT INTO users (sub, email, full_name, short_name, language, timezone)
	VALUES ($1, $2, $3, $4, coalesce(nullif($5, ''), 'en-us'), coalesce(nullif($6, ''), 'UTC'))
	ON CONFLICT (sub) DO UPDATE SET
		email = coalesce(nullif(excluded.email, ''), users.email),
		full_name = coalesce(nullif(excluded.full_name, ''), users.full_name),
		short_name = coalesce(nullif(excluded.short_name, ''), users.short_name),
		language = CASE WHEN users.language_chosen OR $5 = '' THEN users.language ELSE $5 END,
		timezone = CASE WHEN users.timezone_chosen OR $6 = '' THEN users.timezone ELSE $6 END,
		updated_at = CASE WHEN (users.email, users.full_name, users.short_name, users.language, users.timezone) IS DISTINCT FROM
			(coalesce(nullif(excluded.email, ''), users.email),
			 coalesce(nullif(excluded.full_name, ''), users.full_name),
			 coalesce(nullif(excluded.short_name, ''), users.short_name),
			 CASE WHEN users.language_chosen OR $5 = '' THEN users.language ELSE $5 END,
			 CASE WHEN users.timezone_chosen OR $6 = '' THEN users.timezone ELSE $6 END)
			THEN now() ELSE users.updated_at END
	RETURNING ` + userColumns + `, xmax = 0` // xmax is 0 on a row this statement inserted

// SignIn finds or creates the user with claims.Sub (see core.UserService).
func (s *UserService) SignIn(ctx context.Context, c core.Claims, matchEmail bool) (*core.User, error) {
	if c.Sub == "" {
		return nil, core.Invalid("sub", "must not be empty")
	}
	// Every authenticated call signs in: a known user whose claims did not
	// change costs a read, not a write.
	if u, err := scanUser(s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE sub = $1`, c.Sub)); err == nil && !claimsChange(u, c) {
		return u, nil
	}
	if matchEmail && c.EmailVerified && c.Email != "" {
		u, err := s.takeOver(ctx, c)
		if u != nil || err != nil {
			return u, err
		}
	}
	var u core.User
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, upsertUser, c.Sub, c.Email, c.FullName, c.ShortName, c.Language, c.TimeZone).Scan(&u.ID,
			&u.Sub, &u.Email, &u.FullName, &u.ShortName, &u.Language, &u.TimeZone, &u.DefaultAccessLevel,
			&u.LanguageChosen, &u.TimeZoneChosen, &u.Operator, &u.MarketingConsent, &u.CreatedAt, &u.UpdatedAt, &u.Created); err != nil {
			return err
		}
		// The address was just written: it may have roles waiting.
		return claimPending(ctx, tx, &u)
	})
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return &u, nil
}

// claimsChange reports whether signing in with c would change u: an empty
// claim never overwrites.
func claimsChange(u *core.User, c core.Claims) bool {
	differs := func(claim, stored string) bool { return claim != "" && claim != stored }
	return differs(c.Email, u.Email) || differs(c.FullName, u.FullName) || differs(c.ShortName, u.ShortName) ||
		(!u.LanguageChosen && differs(c.Language, u.Language)) || (!u.TimeZoneChosen && differs(c.TimeZone, u.TimeZone))
}

// takeOver gives c.Sub to the one user whose e-mail matches c.Email, when the
// sub is new: this is how accounts survive a change of identity provider. It
// returns nil when the sub is known or no e-mail matches, so that the caller
// upserts. Several matches are ambiguous and refused: guessing would hand one
// person's rooms to another.
func (s *UserService) takeOver(ctx context.Context, c core.Claims) (*core.User, error) {
	var u *core.User
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE sub = $1)`, c.Sub).Scan(&known); err != nil || known {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM users WHERE lower(email) = lower($1) AND email <> '' ORDER BY id LIMIT 2 FOR UPDATE`, c.Email)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		switch {
		case err != nil || len(ids) == 0:
			return err
		case len(ids) > 1:
			return core.Errorf(core.EFORBIDDEN, "several accounts use this e-mail address; ask an administrator to merge them")
		}
		u, err = scanUser(tx.QueryRow(ctx, `
			UPDATE users SET sub = $2, email = $3,
				full_name = coalesce(nullif($4, ''), full_name),
				short_name = coalesce(nullif($5, ''), short_name),
				updated_at = now()
			WHERE id = $1 RETURNING `+userColumns, ids[0], c.Sub, c.Email, c.FullName, c.ShortName))
		return err
	})
	if violated(err, uniqueViolation) == "users_sub_key" {
		return nil, nil // the sub was created meanwhile: the upsert will find it
	}
	if err != nil {
		return nil, fmt.Errorf("sign in by e-mail: %w", err)
	}
	return u, nil
}

// FindUserByID returns the user with id; ENOTFOUND also for a malformed id.
func (s *UserService) FindUserByID(ctx context.Context, id string) (*core.User, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "user not found")
	}
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("find user: %w", notFound(err, "user"))
	}
	return u, nil
}

// FindUsersByEmail returns the users whose e-mail is one of emails, compared
// case-insensitively, keyed by the lower-cased address: who a message should
// speak to in their own language.
func (s *UserService) FindUsersByEmail(ctx context.Context, emails []string) (map[string]*core.User, error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE email <> '' AND lower(email) = ANY($1)`, lower)
	if err != nil {
		return nil, fmt.Errorf("find users by e-mail: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("find users by e-mail: %w", err)
	}
	out := make(map[string]*core.User, len(users))
	for _, u := range users {
		out[strings.ToLower(u.Email)] = u
	}
	return out, nil
}

// UpdateUser changes the user's preferences after checking each of them.
func (s *UserService) UpdateUser(ctx context.Context, id string, upd core.UserUpdate) (*core.User, error) {
	if err := checkUserUpdate(upd); err != nil {
		return nil, err
	}
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "user not found")
	}
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `
		UPDATE users SET language = coalesce($2, language), timezone = coalesce($3, timezone),
			language_chosen = language_chosen OR $2 IS NOT NULL, timezone_chosen = timezone_chosen OR $3 IS NOT NULL,
			default_access_level = coalesce($4, default_access_level),
			marketing_consent = coalesce($5, marketing_consent), updated_at = now()
		WHERE id = $1 RETURNING `+userColumns, id, upd.Language, upd.TimeZone, upd.DefaultAccessLevel, upd.MarketingConsent))
	if err != nil {
		return nil, fmt.Errorf("update user: %w", notFound(err, "user"))
	}
	return u, nil
}

// checkUserUpdate validates the fields being set. time.LoadLocation accepts
// "" and "Local" as the server's zones; neither means anything to a user.
func checkUserUpdate(upd core.UserUpdate) error {
	if upd.Language != nil && !core.IsLanguage(*upd.Language) {
		return core.Invalid("language", "must be one of %v, not %q", core.Languages, *upd.Language)
	}
	if tz := upd.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || *tz == "Local" {
			return core.Invalid("timezone", "%q is not an IANA time zone", *tz)
		}
	}
	if l := upd.DefaultAccessLevel; l != nil && !l.Valid() {
		return core.Invalid("default_access_level", "must be public, trusted or restricted, not %q", *l)
	}
	return nil
}
