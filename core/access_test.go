package core_test

import (
	"testing"

	"github.com/meetline/meetline/core"
)

// TestRoleAtLeast walks the whole order: each role includes the ones before it.
func TestRoleAtLeast(t *testing.T) {
	order := []core.Role{core.RoleNone, core.RoleMember, core.RoleAdministrator, core.RoleOwner}
	for i, have := range order {
		for j, want := range order {
			if got := have.AtLeast(want); got != (i >= j) {
				t.Errorf("%q.AtLeast(%q) = %v, want %v", have, want, got, i >= j)
			}
		}
	}
	if core.Role("superuser").AtLeast(core.RoleMember) {
		t.Error("an unknown role counts as member")
	}
}
