package core_test

import (
	"testing"

	"github.com/meetline/meetline/core"
)

func TestRecordingReadable(t *testing.T) {
	rec := &core.Recording{StartedBy: "u-starter"}
	tests := []struct {
		user string
		role core.Role
		want bool
	}{
		{"u-starter", core.RoleAdministrator, true},
		{"u-starter", core.RoleNone, true}, // out of the room since
		{"u-owner", core.RoleOwner, true},
		{"u-admin", core.RoleAdministrator, false},
		{"u-member", core.RoleMember, false},
		{"u-stranger", core.RoleNone, false},
		{"", core.RoleNone, false},
	}
	for _, tt := range tests {
		if got := rec.Readable(tt.user, tt.role); got != tt.want {
			t.Errorf("Readable(%q, %q) = %v, want %v", tt.user, tt.role, got, tt.want)
		}
	}
	if (&core.Recording{}).Readable("", core.RoleAdministrator) {
		t.Error("a recording nobody started is readable by an empty user")
	}
}
