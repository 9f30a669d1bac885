package core

// CanEnter reports whether someone may join a room's media without passing
// its lobby, and so see its PIN, dial-in and LiveKit connection: anyone for a
// public room, anyone signed in for a trusted one, role holders always.
func CanEnter(level AccessLevel, role Role, authenticated bool) bool {
	return level == AccessPublic || (level == AccessTrusted && authenticated) || role != RoleNone
}

// CanGrant reports whether someone with role granter may give, change or take
// away role target: administrators manage members and administrators, and
// only owners touch "owner".
func CanGrant(granter, target Role) bool {
	if target == RoleOwner {
		return granter == RoleOwner
	}
	return granter.IsAdmin()
}
