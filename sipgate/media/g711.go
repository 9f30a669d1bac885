package media

import "math/bits"

// G.711 (ITU-T G.711, 11/88) companding. Linear samples are 16-bit signed
// PCM; μ-law keeps their top 14 bits and A-law their top 13. The encoders
// implement the segment/quantisation tables of G.711 §3 (Tables 1a/2a) by
// arithmetic; decoding and transcoding use 256-entry tables built once from
// them. Transcoding maps each code to the other law's code whose level is
// nearest (ties keep the sign), which is what G.711's μ/A conversion tables
// do; round-tripping through linear would not (A-law 8064 would become μ-law
// 8316, not 7932). Those tables are the package's only globals and are never written
// after initialisation.

const (
	ulawBias = 0x21 // 33: μ-law bias on the 14-bit magnitude (G.711 Table 2a)
	ulawClip = 8158 // largest 14-bit magnitude that fits 13 bits after the bias
)

var (
	ulawToLinear = decodeTable(decodeULaw)
	alawToLinear = decodeTable(decodeALaw)
	ulawToALaw   = transcodeTable(&ulawToLinear, &alawToLinear)
	alawToULaw   = transcodeTable(&alawToLinear, &ulawToLinear)
)

// EncodeULaw compresses one linear sample to μ-law (G.711 Table 2a).
// Silence (0) encodes to 0xFF.
func EncodeULaw(sample int16) byte {
	mag, mask := int(sample), byte(0xFF)
	if mag < 0 {
		mag, mask = -mag, 0x7F
	}
	mag = min(mag>>2, ulawClip) + ulawBias
	seg := bits.Len(uint(mag)) - 6 // 33 ≤ mag ≤ 8191, so 0 ≤ seg ≤ 7
	code := byte(seg<<4) | byte(mag>>(seg+1))&0x0F
	return code ^ mask
}

// DecodeULaw expands one μ-law byte to a linear sample.
func DecodeULaw(b byte) int16 { return ulawToLinear[b] }

// EncodeALaw compresses one linear sample to A-law (G.711 Table 1a), with
// the even bits inverted as transmitted. Silence (0) encodes to 0xD5.
func EncodeALaw(sample int16) byte {
	mag, mask := int(sample)>>3, byte(0xD5)
	if mag < 0 {
		mag, mask = -mag-1, 0x55
	}
	seg := max(bits.Len(uint(mag))-5, 0) // mag ≤ 0xFFF, so seg ≤ 7
	shift := max(seg, 1)
	code := byte(seg<<4) | byte(mag>>shift)&0x0F
	return code ^ mask
}

// DecodeALaw expands one A-law byte to a linear sample. A-law has no zero
// level: 0xD5 decodes to +8, the smallest positive one.
func DecodeALaw(b byte) int16 { return alawToLinear[b] }

// ULawToALaw transcodes one μ-law byte to the A-law byte nearest in level
// (G.711's μ-law → A-law conversion).
func ULawToALaw(b byte) byte { return ulawToALaw[b] }

// ALawToULaw transcodes one A-law byte to the μ-law byte nearest in level
// (G.711's A-law → μ-law conversion).
func ALawToULaw(b byte) byte { return alawToULaw[b] }

func decodeULaw(b byte) int16 {
	u := ^b
	t := (int(u&0x0F)<<3 + 0x84) << (u & 0x70 >> 4)
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func decodeALaw(b byte) int16 {
	a := b ^ 0x55
	t := int(a&0x0F) << 4
	switch seg := int(a&0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t = (t + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

func decodeTable(decode func(byte) int16) (t [256]int16) {
	for i := range t {
		t[i] = decode(byte(i))
	}
	return t
}

// transcodeTable maps each code of one law to the code of the other whose
// level is nearest; on a tie, to the one of the same sign (bit 7 set means
// positive in both laws as transmitted).
func transcodeTable(from, to *[256]int16) (t [256]byte) {
	for i := range t {
		best, bestDist := 0, 1<<30
		for j := range to {
			d := int(to[j]) - int(from[i])
			d = max(d, -d)
			sameSign := (i^j)&0x80 == 0
			if d < bestDist || d == bestDist && sameSign {
				best, bestDist = j, d
			}
		}
		t[i] = byte(best)
	}
	return t
}
