package core_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/meetline/meetline/core"
)

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want core.ErrorCode
	}{
		{nil, ""},
		{errors.New("boom"), core.EINTERNAL},
		{core.Errorf(core.ENOTFOUND, "room not found"), core.ENOTFOUND},
		{fmt.Errorf("wrapped: %w", core.Invalid("name", "too long")), core.EINVALID},
	}
	for _, tt := range tests {
		if got := core.Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	if got := core.Invalid("name", "is %d characters long", 501).Error(); got != "invalid: name: is 501 characters long" {
		t.Errorf("Error() = %q", got)
	}
	if got := core.Errorf(core.ENOTFOUND, "no such room").Error(); got != "not_found: no such room" {
		t.Errorf("Error() = %q", got)
	}
}
