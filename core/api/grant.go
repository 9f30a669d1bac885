package api

import (
	"context"
	"net/mail"
	"strings"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// grantByEmail gives role in room to the user with address email, or, when
// no user has it, keeps the role pending for the first who signs in with
// it. The caller has checked it may grant role.
func (s *Server) grantByEmail(ctx context.Context, room, email string, role core.Role) (*core.RoomAccess, *core.PendingAccess, error) {
	known, err := s.Users.FindUsersByEmail(ctx, []string{email})
	if err != nil {
		return nil, nil, err
	}
	if u := known[strings.ToLower(email)]; u != nil {
		a := &core.RoomAccess{RoomID: room, UserID: u.ID, Role: role}
		return a, nil, s.Accesses.CreateAccess(ctx, a)
	}
	p := &core.PendingAccess{RoomID: room, Email: email, Role: role}
	return nil, p, s.Accesses.CreatePendingAccess(ctx, p)
}

// emailAddress checks that v is a bare e-mail address (no display name).
func emailAddress(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", core.Invalid(field, "is not an e-mail address")
	}
	return a.Address, nil
}

func pendingToProto(p *core.PendingAccess) *meetlinev1.PendingAccess {
	return &meetlinev1.PendingAccess{Id: p.ID, RoomId: p.RoomID, Email: p.Email, Role: roles[p.Role]}
}
