package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meetline/meetline/core"
)

// SQLSTATE codes the adapters translate into domain errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
)

// violated returns the name of the constraint err broke with the given
// SQLSTATE, or "" when err is something else.
func violated(err error, code string) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == code {
		return pgErr.ConstraintName
	}
	return ""
}

// notFound turns pgx.ErrNoRows into ENOTFOUND naming what was looked for,
// and leaves other errors as they are.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Errorf(core.ENOTFOUND, "%s not found", what)
	}
	return err
}

// isUUID reports whether s is a UUID in one of the two forms the API uses:
// 36 characters with dashes, or 32 hex digits. Ids are checked before they
// reach Postgres so that a malformed one reads as "not found", not as an
// internal error from the uuid cast.
func isUUID(s string) bool {
	switch len(s) {
	case 36:
		for i := 0; i < len(s); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return false
				}
			} else if !isHex(s[i]) {
				return false
			}
		}
		return true
	case 32:
		for i := 0; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isCode reports whether err is a Postgres error with SQLSTATE code.
func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
