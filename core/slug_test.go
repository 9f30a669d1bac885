package core_test

import (
	"strings"
	"testing"

	"github.com/meetline/meetline/core"
)

func TestSlugify(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Weekly sync", "weekly-sync"},
		{"Réunion d'équipe — Été 2026", "reunion-d-equipe-ete-2026"},
		{"  Ça   va ?? ", "ca-va"},
		{"Straße & Ñandú, Łódź, Ærø", "strasse-nandu-lodz-aero"},
		{"ABC_def-123", "abc-def-123"},
		{"日本語 meeting", "meeting"},
		{strings.Repeat("ab ", 80), strings.TrimRight(strings.Repeat("ab-", 34), "-")[:100]},
	}
	for _, tt := range tests {
		got, err := core.Slugify(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("Slugify(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if len(got) > core.MaxSlugLength || strings.HasSuffix(got, "-") {
			t.Errorf("Slugify(%q) = %q: too long or ends with a dash", tt.name, got)
		}
	}
}

func TestSlugifyRejects(t *testing.T) {
	for _, name := range []string{"", "   ", "!!!", "日本語",
		"123e4567-e89b-12d3-a456-426614174000", "123E4567E89B12D3A456426614174000"} {
		if _, err := core.Slugify(name); core.Code(err) != core.EINVALID {
			t.Errorf("Slugify(%q) error = %v, want EINVALID", name, err)
		}
	}
}

func TestCheckRoomName(t *testing.T) {
	ok := []string{"a", "Weekly sync", strings.Repeat("é", 500)}
	bad := []string{"", "   ", strings.Repeat("a", 501), "tab\there", "nul\x00", "\xff\xfe"}
	for _, n := range ok {
		if err := core.CheckRoomName(n); err != nil {
			t.Errorf("CheckRoomName(%q) = %v", n, err)
		}
	}
	for _, n := range bad {
		if err := core.CheckRoomName(n); core.Code(err) != core.EINVALID {
			t.Errorf("CheckRoomName(%q) = %v, want EINVALID", n, err)
		}
	}
}

// TestSlugifyConcurrently guards against shared state in the folding (a
// transform.Chain is not safe for concurrent use).
func TestSlugifyConcurrently(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 1000 {
				if got, err := core.Slugify("Réunion d'été 42"); err != nil || got != "reunion-d-ete-42" {
					t.Errorf("Slugify = %q, %v", got, err)
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}
