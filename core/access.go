package core

import "context"

// Role is a user's role in a room. Each includes the powers of the ones before it.
type Role string

const (
	RoleNone          Role = ""
	RoleMember        Role = "member"
	RoleAdministrator Role = "administrator"
	RoleOwner         Role = "owner"
)

// Valid reports whether r is a role one can be given.
func (r Role) Valid() bool {
	return r == RoleMember || r == RoleAdministrator || r == RoleOwner
}

// AtLeast reports whether r includes the powers of want: owner ⊇
// administrator ⊇ member ⊇ none.
func (r Role) AtLeast(want Role) bool { return r.rank() >= want.rank() }

func (r Role) rank() int {
	switch r {
	case RoleMember:
		return 1
	case RoleAdministrator:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

// IsAdmin reports whether r manages the room: administrators and owners.
func (r Role) IsAdmin() bool { return r == RoleAdministrator || r == RoleOwner }

// RoomAccess gives one user one role in one room.
type RoomAccess struct {
	ID            string
	RoomID        string
	UserID        string
	UserFullName  string
	UserShortName string
	Role          Role
}

// AccessService stores room accesses. It keeps the invariants: one access per
// user per room (ECONFLICT), and at least one owner per room (EPRECONDITION).
type AccessService interface {
	FindAccesses(ctx context.Context, room string) ([]*RoomAccess, error)
	FindAccessByID(ctx context.Context, id string) (*RoomAccess, error)
	// FindRole returns user's role in room, RoleNone when they have none.
	FindRole(ctx context.Context, room, user string) (Role, error)
	CreateAccess(ctx context.Context, a *RoomAccess) error
	UpdateAccess(ctx context.Context, id string, role Role) (*RoomAccess, error)
	DeleteAccess(ctx context.Context, id string) error
	// CreatePendingAccess keeps a role for an address no user has yet; one
	// per address and room (ECONFLICT), compared case-insensitively.
	// UserService.SignIn turns it into an access.
	CreatePendingAccess(ctx context.Context, p *PendingAccess) error
	FindPendingAccesses(ctx context.Context, room string) ([]*PendingAccess, error)
	FindPendingAccessByID(ctx context.Context, id string) (*PendingAccess, error)
	UpdatePendingAccess(ctx context.Context, id string, role Role) (*PendingAccess, error)
	// DeletePendingAccess cancels it; one a sign-in claimed meanwhile is ENOTFOUND.
	DeletePendingAccess(ctx context.Context, id string) error
}

// PendingAccess is a role given by e-mail to someone who has not signed in
// yet: the first user to sign in with that verified address gets it.
type PendingAccess struct {
	ID     string
	RoomID string
	Email  string
	Role   Role
}
