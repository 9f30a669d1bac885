package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// AccessService implements core.AccessService.
type AccessService struct {
	db *DB
}

var _ core.AccessService = (*AccessService)(nil)

// NewAccessService returns an AccessService on db.
func NewAccessService(db *DB) *AccessService { return &AccessService{db: db} }

const accessColumns = `a.id, a.room_id, a.user_id, u.full_name, u.short_name, a.role`

func scanAccess(row pgx.Row) (*core.RoomAccess, error) {
	var a core.RoomAccess
	if err := row.Scan(&a.ID, &a.RoomID, &a.UserID, &a.UserFullName, &a.UserShortName, &a.Role); err != nil {
		return nil, err
	}
	return &a, nil
}

// FindAccesses lists the room's accesses, owners first, then by name.
func (s *AccessService) FindAccesses(ctx context.Context, room string) ([]*core.RoomAccess, error) {
	if !isUUID(room) {
		return nil, nil
	}
	rows, err := s.db.Pool.Query(ctx, `
		SELECT `+accessColumns+` FROM room_accesses a JOIN users u ON u.id = a.user_id
		WHERE a.room_id = $1
		ORDER BY CASE a.role WHEN 'owner' THEN 3 WHEN 'administrator' THEN 2 ELSE 1 END DESC,
			u.full_name, u.short_name, a.id`, room)
	if err != nil {
		return nil, fmt.Errorf("find accesses: %w", err)
	}
	accesses, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.RoomAccess, error) { return scanAccess(row) })
	if err != nil {
		return nil, fmt.Errorf("find accesses: %w", err)
	}
	return accesses, nil
}

// FindAccessByID returns the access with id.
func (s *AccessService) FindAccessByID(ctx context.Context, id string) (*core.RoomAccess, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "access not found")
	}
	return findAccess(ctx, s.db.Pool, id)
}

// findAccess reads an access through q, a pool or a transaction.
func findAccess(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) (*core.RoomAccess, error) {
	a, err := scanAccess(q.QueryRow(ctx, `
		SELECT `+accessColumns+` FROM room_accesses a JOIN users u ON u.id = a.user_id WHERE a.id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("find access: %w", notFound(err, "access"))
	}
	return a, nil
}

// FindRole returns user's role in room; RoleNone for none, malformed ids included.
func (s *AccessService) FindRole(ctx context.Context, room, user string) (core.Role, error) {
	if !isUUID(room) || !isUUID(user) {
		return core.RoleNone, nil
	}
	var role core.Role
	err := s.db.Pool.QueryRow(ctx, `SELECT role FROM room_accesses WHERE room_id = $1 AND user_id = $2`, room, user).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.RoleNone, nil
	}
	if err != nil {
		return core.RoleNone, fmt.Errorf("find role: %w", err)
	}
	return role, nil
}

// CreateAccess gives a.UserID the role a.Role in a.RoomID and fills in a's ID
// and the user's names.
func (s *AccessService) CreateAccess(ctx context.Context, a *core.RoomAccess) error {
	if !a.Role.Valid() {
		return core.Invalid("role", "must be member, administrator or owner, not %q", a.Role)
	}
	if !isUUID(a.RoomID) {
		return core.Errorf(core.ENOTFOUND, "room not found")
	}
	if !isUUID(a.UserID) {
		return core.Errorf(core.ENOTFOUND, "user not found")
	}
	err := s.db.Pool.QueryRow(ctx, `
		WITH a AS (INSERT INTO room_accesses (room_id, user_id, role) VALUES ($1, $2, $3) RETURNING id, user_id)
		SELECT a.id, u.full_name, u.short_name FROM a JOIN users u ON u.id = a.user_id`,
		a.RoomID, a.UserID, a.Role).Scan(&a.ID, &a.UserFullName, &a.UserShortName)
	switch {
	case violated(err, uniqueViolation) == "room_accesses_room_user":
		return core.Errorf(core.ECONFLICT, "this user already has a role in this room")
	case violated(err, foreignKeyViolation) == "room_accesses_room_id_fkey":
		return core.Errorf(core.ENOTFOUND, "room not found")
	case violated(err, foreignKeyViolation) == "room_accesses_user_id_fkey":
		return core.Errorf(core.ENOTFOUND, "user not found")
	case err != nil:
		return fmt.Errorf("create access: %w", err)
	}
	return nil
}

// UpdateAccess changes an access's role, keeping an owner in its room.
func (s *AccessService) UpdateAccess(ctx context.Context, id string, role core.Role) (*core.RoomAccess, error) {
	if !role.Valid() {
		return nil, core.Invalid("role", "must be member, administrator or owner, not %q", role)
	}
	var a *core.RoomAccess
	err := s.keepingAnOwner(ctx, id, role != core.RoleOwner, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE room_accesses SET role = $2 WHERE id = $1`, id, role); err != nil {
			return err
		}
		var err error
		a, err = findAccess(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update access: %w", err)
	}
	return a, nil
}

// DeleteAccess takes an access away, keeping an owner in its room.
func (s *AccessService) DeleteAccess(ctx context.Context, id string) error {
	err := s.keepingAnOwner(ctx, id, true, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM room_accesses WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete access: %w", err)
	}
	return nil
}

// keepingAnOwner runs change on access id in a transaction that refuses,
// when losesOwner and the access is an owner, to leave its room without
// another owner. It locks the room's owner rows (in id order, so that two
// such transactions never deadlock) before reading the access's role: of
// two concurrent demotions of the last two owners, the second waits, then
// finds a single owner left, and fails.
func (s *AccessService) keepingAnOwner(ctx context.Context, id string, losesOwner bool, change func(pgx.Tx) error) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "access not found")
	}
	return pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var canonical, room string // the id as Postgres spells it, to compare with the owners'
		err := tx.QueryRow(ctx, `SELECT id, room_id FROM room_accesses WHERE id = $1`, id).Scan(&canonical, &room)
		if err != nil {
			return notFound(err, "access")
		}
		rows, err := tx.Query(ctx, `SELECT id FROM room_accesses WHERE room_id = $1 AND role = 'owner' ORDER BY id FOR UPDATE`, room)
		if err != nil {
			return err
		}
		owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		var role core.Role
		if err := tx.QueryRow(ctx, `SELECT role FROM room_accesses WHERE id = $1 FOR UPDATE`, id).Scan(&role); err != nil {
			return notFound(err, "access")
		}
		others := len(owners)
		for _, o := range owners {
			if o == canonical {
				others--
			}
		}
		if losesOwner && role == core.RoleOwner && others == 0 {
			return core.Errorf(core.EPRECONDITION, "a room must keep at least one owner")
		}
		return change(tx)
	})
}

// CreatePendingAccess stores p and fills in its ID.
func (s *AccessService) CreatePendingAccess(ctx context.Context, p *core.PendingAccess) error {
	if !p.Role.Valid() {
		return core.Invalid("role", "must be member, administrator or owner, not %q", p.Role)
	}
	if !isUUID(p.RoomID) {
		return core.Errorf(core.ENOTFOUND, "room not found")
	}
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO pending_accesses (room_id, email, role) VALUES ($1, $2, $3) RETURNING id`,
		p.RoomID, p.Email, p.Role).Scan(&p.ID)
	switch {
	case violated(err, uniqueViolation) == "pending_accesses_room_email":
		return core.Errorf(core.ECONFLICT, "this address already has a role waiting in this room")
	case violated(err, foreignKeyViolation) != "":
		return core.Errorf(core.ENOTFOUND, "room not found")
	case err != nil:
		return fmt.Errorf("create pending access: %w", err)
	}
	return nil
}

// FindPendingAccesses lists the room's pending accesses by address.
func (s *AccessService) FindPendingAccesses(ctx context.Context, room string) ([]*core.PendingAccess, error) {
	if !isUUID(room) {
		return nil, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id, room_id, email, role FROM pending_accesses WHERE room_id = $1 ORDER BY lower(email)`, room)
	if err != nil {
		return nil, fmt.Errorf("find pending accesses: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.PendingAccess, error) {
		var p core.PendingAccess
		return &p, row.Scan(&p.ID, &p.RoomID, &p.Email, &p.Role)
	})
	if err != nil {
		return nil, fmt.Errorf("find pending accesses: %w", err)
	}
	return ps, nil
}

// claimPending turns the pending accesses of the user's address into
// accesses, in tx; a role the user already has in a room stays as it is.
func claimPending(ctx context.Context, tx pgx.Tx, u *core.User) error {
	if u.Email == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `
		WITH p AS (DELETE FROM pending_accesses WHERE lower(email) = lower($2) RETURNING room_id, role)
		INSERT INTO room_accesses (room_id, user_id, role) SELECT room_id, $1, role FROM p
		ON CONFLICT (room_id, user_id) DO NOTHING`, u.ID, u.Email)
	if err != nil {
		return fmt.Errorf("claim pending accesses: %w", err)
	}
	return nil
}
