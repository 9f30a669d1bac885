package postgres

import (
	"context"
	"fmt"

	"github.com/meetline/meetline/core"
)

// FindPendingAccessByID returns the pending access with id.
func (s *AccessService) FindPendingAccessByID(ctx context.Context, id string) (*core.PendingAccess, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "pending access not found")
	}
	var p core.PendingAccess
	err := s.db.Pool.QueryRow(ctx, `SELECT id, room_id, email, role FROM pending_accesses WHERE id = $1`, id).
		Scan(&p.ID, &p.RoomID, &p.Email, &p.Role)
	if err != nil {
		return nil, notFound(err, "pending access")
	}
	return &p, nil
}

// UpdatePendingAccess changes the role waiting for the address.
func (s *AccessService) UpdatePendingAccess(ctx context.Context, id string, role core.Role) (*core.PendingAccess, error) {
	if !role.Valid() {
		return nil, core.Invalid("role", "must be member, administrator or owner, not %q", role)
	}
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "pending access not found")
	}
	var p core.PendingAccess
	err := s.db.Pool.QueryRow(ctx, `UPDATE pending_accesses SET role = $2 WHERE id = $1 RETURNING id, room_id, email, role`, id, role).
		Scan(&p.ID, &p.RoomID, &p.Email, &p.Role)
	if err != nil {
		return nil, fmt.Errorf("update pending access: %w", notFound(err, "pending access"))
	}
	return &p, nil
}

// DeletePendingAccess cancels a role waiting for an address; one already
// claimed by a sign-in, or cancelled, is not found.
func (s *AccessService) DeletePendingAccess(ctx context.Context, id string) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "pending access not found")
	}
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM pending_accesses WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete pending access: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "pending access not found")
	}
	return nil
}
