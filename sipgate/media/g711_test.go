package media

import "testing"

func TestG711KnownValues(t *testing.T) {
	// Reference points of ITU-T G.711: silence, full scale, the smallest
	// steps (μ-law decodes to 0 for both signs, A-law has no zero: ±8).
	ulaw := []struct {
		code   byte
		linear int16
	}{{0xFF, 0}, {0x7F, 0}, {0xFE, 8}, {0x7E, -8}, {0x80, 32124}, {0x00, -32124}, {0xEF, 132}, {0x8F, 16764}, {0xA0, 7932}}
	for _, c := range ulaw {
		if got := DecodeULaw(c.code); got != c.linear {
			t.Errorf("DecodeULaw(%#02x) = %d, want %d", c.code, got, c.linear)
		}
	}
	alaw := []struct {
		code   byte
		linear int16
	}{{0xD5, 8}, {0x55, -8}, {0xAA, 32256}, {0x2A, -32256}, {0xD4, 24}, {0xC5, 264}}
	for _, c := range alaw {
		if got := DecodeALaw(c.code); got != c.linear {
			t.Errorf("DecodeALaw(%#02x) = %d, want %d", c.code, got, c.linear)
		}
	}
	enc := []struct {
		linear     int16
		ulaw, alaw byte
	}{{0, 0xFF, 0xD5}, {-1, 0x7F, 0x55}, {32767, 0x80, 0xAA}, {-32768, 0x00, 0x2A}, {8, 0xFE, 0xD5}, {-8, 0x7E, 0x55}}
	for _, c := range enc {
		if got := EncodeULaw(c.linear); got != c.ulaw {
			t.Errorf("EncodeULaw(%d) = %#02x, want %#02x", c.linear, got, c.ulaw)
		}
		if got := EncodeALaw(c.linear); got != c.alaw {
			t.Errorf("EncodeALaw(%d) = %#02x, want %#02x", c.linear, got, c.alaw)
		}
	}
	if ULawToALaw(0xFF) != 0xD5 || ALawToULaw(0xD5) != 0xFE || ULawToALaw(0x80) != 0xAA || ALawToULaw(0xAA) != 0x80 {
		t.Error("transcoding of silence or full scale is wrong")
	}
	// A-law 8064 lies nearer μ-law 7932 than 8316, though it encodes to 8316.
	if DecodeALaw(0x8A) != 8064 || ALawToULaw(0x8A) != 0xA0 {
		t.Errorf("ALawToULaw(0x8A) = %#02x, want 0xa0", ALawToULaw(0x8A))
	}
}

func TestG711RoundTrip(t *testing.T) {
	for i := range 256 {
		b := byte(i)
		want := b
		if b == 0x7F { // μ-law −0 re-encodes as +0
			want = 0xFF
		}
		if got := EncodeULaw(DecodeULaw(b)); got != want {
			t.Errorf("μ-law %#02x → %d → %#02x", b, DecodeULaw(b), got)
		}
		if got := EncodeALaw(DecodeALaw(b)); got != b {
			t.Errorf("A-law %#02x → %d → %#02x", b, DecodeALaw(b), got)
		}
	}
}

func TestG711DecodeMonotonic(t *testing.T) {
	// Positive codes, ordered by magnitude, decode to increasing levels.
	prevU, prevA := int16(-1), int16(-1)
	for m := range 128 {
		u := DecodeULaw(byte(0xFF - m))      // μ-law: 0xFF smallest … 0x80 largest
		a := DecodeALaw(byte(0x80|m) ^ 0x55) // A-law: even bits inverted
		if u <= prevU || a <= prevA {
			t.Fatalf("not monotonic at magnitude %d: μ %d after %d, A %d after %d", m, u, prevU, a, prevA)
		}
		prevU, prevA = u, a
	}
}

// Transcoding picks the level of the other law nearest to the original one.
func TestG711TranscodeNearest(t *testing.T) {
	check := func(name string, from int16, got int16, levels func(byte) int16) {
		best := int32(1 << 20)
		for j := range 256 {
			best = min(best, abs32(int32(levels(byte(j)))-int32(from)))
		}
		if d := abs32(int32(got) - int32(from)); d != best {
			t.Errorf("%s: level %d transcoded to %d (distance %d), nearest is %d away", name, from, got, d, best)
		}
	}
	for i := range 256 {
		b := byte(i)
		check("μ→A", DecodeULaw(b), DecodeALaw(ULawToALaw(b)), DecodeALaw)
		check("A→μ", DecodeALaw(b), DecodeULaw(ALawToULaw(b)), DecodeULaw)
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestG711EncodeSigned(t *testing.T) {
	for s := -32768; s <= 32767; s += 7 {
		u, a := DecodeULaw(EncodeULaw(int16(s))), DecodeALaw(EncodeALaw(int16(s)))
		// Quantisation error stays within half a step of the segment (G.711
		// steps are at most 1024 for μ-law, 1024 for A-law at full scale).
		if abs32(int32(u)-int32(s)) > 1024 || abs32(int32(a)-int32(s)) > 1024 {
			t.Fatalf("sample %d: μ-law %d, A-law %d", s, u, a)
		}
	}
}
