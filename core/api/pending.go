package api

import (
	"context"
	"strings"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// UpdatePendingAccess changes a waiting role, with UpdateAccess's rules.
func (s *accessService) UpdatePendingAccess(ctx context.Context, req *meetlinev1.UpdatePendingAccessRequest) (*meetlinev1.UpdatePendingAccessResponse, error) {
	target, err := roleFromProto("role", req.Role)
	if err != nil {
		return nil, err
	}
	p, mine, err := s.pendingAndRole(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if !core.CanGrant(mine, p.Role) || !core.CanGrant(mine, target) {
		return nil, core.Errorf(core.EFORBIDDEN, "only owners may grant or change the owner role")
	}
	if p, err = s.Accesses.UpdatePendingAccess(ctx, req.Id, target); err != nil {
		return nil, err
	}
	return &meetlinev1.UpdatePendingAccessResponse{Pending: pendingToProto(p)}, nil
}

// RemovePendingAccess cancels a waiting role; only owners cancel an owner's.
func (s *accessService) RemovePendingAccess(ctx context.Context, req *meetlinev1.RemovePendingAccessRequest) (*meetlinev1.RemovePendingAccessResponse, error) {
	p, mine, err := s.pendingAndRole(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if !core.CanGrant(mine, p.Role) {
		return nil, core.Errorf(core.EFORBIDDEN, "only owners may cancel the owner role")
	}
	if err := s.Accesses.DeletePendingAccess(ctx, req.Id); err != nil {
		return nil, err
	}
	return &meetlinev1.RemovePendingAccessResponse{}, nil
}

// pendingAndRole loads a pending access and the caller's role in its room:
// administrators only; someone with no role learns nothing (not found).
func (s *accessService) pendingAndRole(ctx context.Context, id string) (*core.PendingAccess, core.Role, error) {
	if id == "" {
		return nil, "", core.Invalid("id", "must be a pending access id")
	}
	p, err := s.Accesses.FindPendingAccessByID(ctx, id)
	if err != nil {
		return nil, "", err
	}
	mine, err := s.callerRole(ctx, p.RoomID)
	switch {
	case err != nil:
		return nil, "", err
	case mine == core.RoleNone:
		return nil, "", core.Errorf(core.ENOTFOUND, "pending access not found")
	case !mine.IsAdmin():
		return nil, "", core.Errorf(core.EFORBIDDEN, "this needs the administrator role in the room")
	}
	return p, mine, nil
}

// FindUser is the only way to learn of another user: one exact address at a
// time, for a room's administrators, who would add that person to it.
func (s *accessService) FindUser(ctx context.Context, req *meetlinev1.FindUserRequest) (*meetlinev1.FindUserResponse, error) {
	email, err := emailAddress("email", req.Email)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireRole(ctx, req.RoomId, core.RoleAdministrator); err != nil {
		return nil, err
	}
	known, err := s.Users.FindUsersByEmail(ctx, []string{email})
	if err != nil {
		return nil, err
	}
	u := known[strings.ToLower(email)]
	if u == nil {
		return nil, core.Errorf(core.ENOTFOUND, "no user has this address")
	}
	role, err := s.Accesses.FindRole(ctx, req.RoomId, u.ID)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.FindUserResponse{UserId: u.ID, FullName: u.FullName, ShortName: u.ShortName, Role: roles[role]}, nil
}
