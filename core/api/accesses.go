package api

import (
	"context"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// accessService implements meetline.v1.AccessService. The store keeps the
// invariants (one access per user and room, a last owner); this layer checks
// who may grant what (core.CanGrant).
type accessService struct {
	*Server
}

func (s *accessService) ListAccesses(ctx context.Context, req *meetlinev1.ListAccessesRequest) (*meetlinev1.ListAccessesResponse, error) {
	if _, err := s.requireRole(ctx, req.RoomId, core.RoleAdministrator); err != nil {
		return nil, err
	}
	accesses, err := s.Accesses.FindAccesses(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	pending, err := s.Accesses.FindPendingAccesses(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListAccessesResponse{}
	for _, a := range accesses {
		res.Accesses = append(res.Accesses, accessToProto(a))
	}
	for _, p := range pending {
		res.Pending = append(res.Pending, pendingToProto(p))
	}
	return res, nil
}

func (s *accessService) AddAccess(ctx context.Context, req *meetlinev1.AddAccessRequest) (*meetlinev1.AddAccessResponse, error) {
	target, err := roleFromProto("role", req.Role)
	if err != nil {
		return nil, err
	}
	switch {
	case req.UserId == "" && req.Email == "":
		return nil, core.Invalid("user_id", "must be a user id, or email an e-mail address")
	case req.UserId != "" && req.Email != "":
		return nil, core.Invalid("email", "must be empty when user_id names the user")
	}
	var email string
	if req.Email != "" {
		if email, err = emailAddress("email", req.Email); err != nil {
			return nil, err
		}
	}
	mine, err := s.requireRole(ctx, req.RoomId, core.RoleAdministrator)
	if err != nil {
		return nil, err
	}
	if !core.CanGrant(mine, target) {
		return nil, core.Errorf(core.EFORBIDDEN, "only owners may grant the owner role")
	}
	if email != "" {
		a, p, err := s.grantByEmail(ctx, req.RoomId, email, target)
		if err != nil {
			return nil, err
		}
		if p != nil {
			return &meetlinev1.AddAccessResponse{Pending: pendingToProto(p)}, nil
		}
		return &meetlinev1.AddAccessResponse{Access: accessToProto(a)}, nil
	}
	a := &core.RoomAccess{RoomID: req.RoomId, UserID: req.UserId, Role: target}
	if err := s.Accesses.CreateAccess(ctx, a); err != nil {
		return nil, err
	}
	return &meetlinev1.AddAccessResponse{Access: accessToProto(a)}, nil
}

func (s *accessService) UpdateAccess(ctx context.Context, req *meetlinev1.UpdateAccessRequest) (*meetlinev1.UpdateAccessResponse, error) {
	target, err := roleFromProto("role", req.Role)
	if err != nil {
		return nil, err
	}
	a, mine, err := s.accessAndRole(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if !core.CanGrant(mine, a.Role) || !core.CanGrant(mine, target) {
		return nil, core.Errorf(core.EFORBIDDEN, "only owners may grant or change the owner role")
	}
	was := a.Role
	if a, err = s.Accesses.UpdateAccess(ctx, req.Id, target); err != nil {
		return nil, err
	}
	if was.AtLeast(target) && was != target {
		s.removeUser(ctx, a.RoomID, a.UserID, "access_lowered")
	}
	return &meetlinev1.UpdateAccessResponse{Access: accessToProto(a)}, nil
}

// RemoveAccess lets administrators remove others (owners only by owners) and
// anyone leave a room.
func (s *accessService) RemoveAccess(ctx context.Context, req *meetlinev1.RemoveAccessRequest) (*meetlinev1.RemoveAccessResponse, error) {
	a, mine, err := s.accessAndRole(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	self := a.UserID == core.CallerFrom(ctx).User.ID
	if !self && !core.CanGrant(mine, a.Role) {
		return nil, core.Errorf(core.EFORBIDDEN, "only owners may remove an owner")
	}
	if err := s.Accesses.DeleteAccess(ctx, req.Id); err != nil {
		return nil, err
	}
	s.removeUser(ctx, a.RoomID, a.UserID, "access_removed")
	return &meetlinev1.RemoveAccessResponse{}, nil
}

// accessAndRole loads an access and the caller's role in its room. Someone
// with no role in the room learns nothing: the access is "not found".
func (s *accessService) accessAndRole(ctx context.Context, id string) (*core.RoomAccess, core.Role, error) {
	if id == "" {
		return nil, "", core.Invalid("id", "must be an access id")
	}
	a, err := s.Accesses.FindAccessByID(ctx, id)
	if err != nil {
		return nil, "", err
	}
	mine, err := s.callerRole(ctx, a.RoomID)
	if err != nil {
		return nil, "", err
	}
	if mine == core.RoleNone {
		return nil, "", core.Errorf(core.ENOTFOUND, "access not found")
	}
	if !mine.IsAdmin() && a.UserID != core.CallerFrom(ctx).User.ID {
		return nil, "", core.Errorf(core.EFORBIDDEN, "this needs the administrator role in the room")
	}
	return a, mine, nil
}
