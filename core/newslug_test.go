package core

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
)

func TestNewSlug(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s, err := NewSlug("Weekly sync", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		base, suffix, _ := strings.Cut(s, "-sync-")
		if base != "weekly" || len(suffix) != SlugSuffixLength || strings.Trim(suffix, slugSuffix) != "" {
			t.Fatalf("NewSlug = %q", s)
		}
		if seen[s] {
			t.Fatalf("%q drawn twice", s)
		}
		seen[s] = true
	}
	long, err := NewSlug(strings.Repeat("a", 300), rand.Reader)
	if err != nil || len(long) != MaxSlugLength {
		t.Fatalf("long name: %q (%d), %v", long, len(long), err)
	}
	if _, err := NewSlug("!!!", rand.Reader); Code(err) != EINVALID {
		t.Fatalf("no letter: %v", err)
	}
	// 32 hex digits with four dashes once the suffix is added: drawn again.
	hexOnly := bytes.NewReader(append(bytes.Repeat([]byte{0}, SlugSuffixLength), bytes.Repeat([]byte{6}, SlugSuffixLength)...))
	s, err := NewSlug("abcdef01-abcd-abcd-abcdabcd", hexOnly)
	if err != nil || looksLikeUUID(s) || !strings.HasSuffix(s, "gggggggg") {
		t.Fatalf("UUID-shaped draw: %q, %v", s, err)
	}
}

func TestIsSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"weekly-sync-k3f9q2ab": true, "a": true, "": false, "Weekly": false, "a b": false,
		"\x00": false, "é": false, strings.Repeat("a", MaxSlugLength): true, strings.Repeat("a", MaxSlugLength+1): false,
	} {
		if IsSlug(s) != want {
			t.Errorf("IsSlug(%q) = %v", s, !want)
		}
	}
}
