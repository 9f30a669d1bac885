package core

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// pow10 holds 10^n for the PIN lengths allowed.
var pow10 = func() (p [MaxPINLength + 1]uint64) {
	p[0] = 1
	for i := 1; i <= MaxPINLength; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// NewPIN returns a uniformly random PIN of length digits, zero-padded, read
// from src (crypto/rand when nil). Rejection sampling keeps it uniform: the
// raw 64-bit values above the largest multiple of 10^length are drawn again.
func NewPIN(src io.Reader, length int) (string, error) {
	if length < MinPINLength || length > MaxPINLength {
		return "", Invalid("pin_length", "must be from %d to %d, not %d", MinPINLength, MaxPINLength, length)
	}
	if src == nil {
		src = rand.Reader
	}
	n := pow10[length]
	limit := ^uint64(0) - ^uint64(0)%n
	var b [8]byte
	for {
		if _, err := io.ReadFull(src, b[:]); err != nil {
			return "", fmt.Errorf("pin: %w", err)
		}
		if v := binary.LittleEndian.Uint64(b[:]); v < limit {
			return fmt.Sprintf("%0*d", length, v%n), nil
		}
	}
}

// ValidPIN reports whether s could be a PIN: 4 to 16 ASCII digits.
func ValidPIN(s string) bool {
	if len(s) < MinPINLength || len(s) > MaxPINLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
