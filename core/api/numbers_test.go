package api

import (
	"testing"

	"github.com/meetline/meetline/core"
)

// TestDescribe: the memo answers what Describe does, the first time and from memory.
func TestDescribe(t *testing.T) {
	for _, n := range []core.PhoneNumber{"+33123456789", "+41441234567", "+1555", "not a number"} {
		wantDisplay, wantRegion := n.Describe()
		for range 2 {
			if d, r := describe(n); d != wantDisplay || r != wantRegion {
				t.Errorf("describe(%q) = %q, %q; want %q, %q", n, d, r, wantDisplay, wantRegion)
			}
		}
	}
}

// BenchmarkDescribe: what a room view pays per trunk number, parsed or remembered.
func BenchmarkDescribe(b *testing.B) {
	n := core.PhoneNumber("+33123456789")
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n.Describe()
		}
	})
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			describe(n)
		}
	})
}
