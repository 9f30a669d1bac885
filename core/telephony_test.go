package core_test

import (
	"testing"

	"github.com/meetline/meetline/core"
)

// A caller id is a budget only when a trusted carrier asserted it; otherwise
// the call is, so that rotating forged ids buys nothing beyond new calls.
func TestPINSourceKey(t *testing.T) {
	trusted := core.PINSource{CallerID: "+33611111111", Trusted: true, CallID: "a"}
	tests := []struct {
		name string
		a, b core.PINSource
		same bool
	}{
		{"trusted id across calls", trusted, core.PINSource{CallerID: "+33611111111", Trusted: true, CallID: "b"}, true},
		{"untrusted id across calls", core.PINSource{CallerID: "+33611111111", CallID: "a"}, core.PINSource{CallerID: "+33611111111", CallID: "b"}, false},
		{"rotating ids in one call", core.PINSource{CallerID: "+33611111111", CallID: "a"}, core.PINSource{CallerID: "+33622222222", CallID: "a"}, true},
		{"trusted and forged same number", trusted, core.PINSource{CallerID: "+33611111111", CallID: "a"}, false},
		{"legacy client: the id", core.PINSource{CallerID: "+33611111111"}, core.PINSource{CallerID: "+33611111111"}, true},
	}
	for _, tt := range tests {
		if got := tt.a.Key() == tt.b.Key(); got != tt.same {
			t.Errorf("%s: same key %v, want %v", tt.name, got, tt.same)
		}
	}
	if k := trusted.Key(); len(k) != 24 || k == "+33611111111" {
		t.Errorf("key %q: want a hash", k)
	}
	if k := (core.PINSource{}).Key(); k != "" {
		t.Errorf("anonymous key %q, want the number's pool", k)
	}
}
