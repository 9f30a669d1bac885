package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// SetOperator grants or revokes the operator role (see core.UserService). An
// address must name one user: a grant must not reach a second account that
// happens to carry the same e-mail.
func (s *UserService) SetOperator(ctx context.Context, who string, operator bool) (*core.User, error) {
	if who == "" {
		return nil, core.Invalid("user", "must be a user id or an e-mail address")
	}
	where := `lower(email) = lower($1) AND email <> ''`
	if isUUID(who) {
		where = `id = $1::uuid`
	}
	var u *core.User
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM users WHERE `+where+` ORDER BY id LIMIT 2 FOR UPDATE`, who)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		switch {
		case err != nil:
			return err
		case len(ids) == 0:
			return core.Errorf(core.ENOTFOUND, "no such user: they must sign in once first")
		case len(ids) > 1:
			return core.Errorf(core.EPRECONDITION, "several users have this address: name one by its id")
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET operator = $2, updated_at = now() WHERE id = $1
			RETURNING `+userColumns, ids[0], operator))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set operator: %w", err)
	}
	return u, nil
}

// ListOperators returns the users with the operator role, by e-mail.
func (s *UserService) ListOperators(ctx context.Context) ([]*core.User, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE operator ORDER BY lower(email), id`)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	return users, nil
}
