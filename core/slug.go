package core

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxRoomNameLength and MaxSlugLength bound a room's name and slug.
const (
	MaxRoomNameLength = 500
	MaxSlugLength     = 100
)

// ligatures spells out the Latin letters that have no decomposition.
var ligatures = strings.NewReplacer("ß", "ss", "æ", "ae", "Æ", "AE", "œ", "oe", "Œ", "OE",
	"ø", "o", "Ø", "O", "đ", "d", "Đ", "D", "ł", "l", "Ł", "L", "þ", "th", "Þ", "TH")

// Slugify derives a room's slug from its name: lower-case ASCII letters and
// digits with accents folded, every other run of characters a single "-",
// at most MaxSlugLength characters. It returns an EINVALID error when nothing
// is left, or when the slug is shaped like a UUID, which is reserved so that a
// room is never mistaken for another's id.
func Slugify(name string) (string, error) {
	// Decomposing separates accents from their letters ("é" → "e" + U+0301);
	// the combining marks are then not ASCII letters and fall away below.
	decomposed := norm.NFD.String(ligatures.Replace(name))
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(decomposed) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= MaxSlugLength {
			break
		}
	}
	slug := strings.TrimRight(b.String()[:min(b.Len(), MaxSlugLength)], "-")
	if slug == "" {
		return "", Invalid("name", "must contain at least one letter or digit")
	}
	if looksLikeUUID(slug) {
		return "", Invalid("name", "must not be shaped like a UUID")
	}
	return slug, nil
}

// looksLikeUUID reports whether s is 32 hex digits, with or without the four dashes.
func looksLikeUUID(s string) bool {
	hex := strings.ReplaceAll(s, "-", "")
	if len(hex) != 32 || (len(s) != 32 && len(s) != 36) {
		return false
	}
	for _, r := range hex {
		if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
			return false
		}
	}
	return true
}

// CheckRoomName validates a room's name: 1 to MaxRoomNameLength characters,
// no control characters, not blank.
func CheckRoomName(name string) error { return checkName("name", name, MaxRoomNameLength) }

// checkName validates a name people type and others read: valid UTF-8, not
// blank, at most max characters, no control characters (which would let it
// break lines in logs or lists).
func checkName(field, name string, max int) error {
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return Invalid(field, "must be valid UTF-8")
	case strings.TrimSpace(name) == "":
		return Invalid(field, "must not be empty")
	case n > max:
		return Invalid(field, "must be at most %d characters, not %d", max, n)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Invalid(field, "must not contain control characters")
	}
	return nil
}

// slugSuffix is the alphabet of a slug's random suffix: lower-case letters and
// digits without the look-alikes 0/o and 1/l, as people retype links.
const slugSuffix = "abcdefghijkmnpqrstuvwxyz23456789"

// SlugSuffixLength is the length of a slug's random suffix: 32^8 ≈ 10^12
// suffixes per name, so a slug nobody was given cannot be guessed and a
// collision (retried by the store) practically never happens.
const SlugSuffixLength = 8

// NewSlug returns a room's slug: Slugify(name), shortened to leave room, a
// dash and a random suffix read from random. Slugs are never reused (the
// store keeps every slug ever given), so the suffix is what lets two rooms,
// or a room and a deleted one, share a name.
func NewSlug(name string, random io.Reader) (string, error) {
	base, err := Slugify(name)
	if err != nil {
		return "", err
	}
	base = strings.TrimRight(base[:min(len(base), MaxSlugLength-SlugSuffixLength-1)], "-")
	for {
		b := make([]byte, SlugSuffixLength)
		if _, err := io.ReadFull(random, b); err != nil {
			return "", fmt.Errorf("slug: %w", err)
		}
		for i := range b {
			b[i] = slugSuffix[int(b[i])%len(slugSuffix)]
		}
		if slug := base + "-" + string(b); !looksLikeUUID(slug) {
			return slug, nil
		}
	}
}

// IsSlug reports whether s could be a slug: 1 to MaxSlugLength lower-case
// ASCII letters, digits and dashes. Anything else names no room, and is not
// worth a query (a NUL byte would not even reach Postgres).
func IsSlug(s string) bool {
	if s == "" || len(s) > MaxSlugLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
