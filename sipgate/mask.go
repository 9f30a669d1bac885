package sipgate

import "strings"

const bullet = "•"

// maskNumber hides a phone number for logs: the country calling code, the first national digit (the kind
// of line, not the subscriber) and the last two digits stay, the rest become bullets, grouped by three
// from the end: "+33612345642" → "+33 6•• ••• •42". A number without "+" keeps only its last two digits;
// anything that is not a number (a SIP user name) is fully masked. "" and "anonymous" are kept: they
// identify nobody.
func maskNumber(n string) string {
	if n == "" || strings.EqualFold(n, "anonymous") {
		return n
	}
	digits, intl := strings.CutPrefix(n, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return strings.Repeat(bullet, 3)
	}
	if !intl {
		return maskDigits(digits, 0)
	}
	cc := callingCodeLen(digits)
	if len(digits) < cc+4 {
		return "+" + maskDigits(digits, 0)
	}
	return "+" + digits[:cc] + " " + maskDigits(digits[cc:], 1)
}

// maskDigits keeps the first keep and the last two digits of d, bullets the rest, and groups by three from
// the end. Fewer than five digits are all bulleted.
func maskDigits(d string, keep int) string {
	if len(d) < 5 {
		return strings.Repeat(bullet, len(d))
	}
	var b strings.Builder
	for i := range len(d) {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		if i < keep || i >= len(d)-2 {
			b.WriteByte(d[i])
		} else {
			b.WriteString(bullet)
		}
	}
	return b.String()
}

// callingCodeLen returns the length of the ITU-T E.164 country calling code that starts d: one digit for
// zones 1 and 7, two for the listed codes, three otherwise.
func callingCodeLen(d string) int {
	switch d[0] {
	case '1', '7':
		return 1
	}
	if len(d) >= 2 && strings.Contains(twoDigitCodes, d[:2]+" ") {
		return 2
	}
	return 3
}

const twoDigitCodes = "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 " +
	"60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 "

// minNumberDigits is the fewest digits of a run that maskText takes for a phone number: E.164 numbers have
// 8 to 15, national ones 7 and more. Shorter runs (ports, status codes, counts) stay.
const minNumberDigits = 7

// maskText masks every run of digits in s that could be a phone number, as maskNumber does: a "+" followed
// by digits, which may be grouped by RFC 3966 visual separators (space, "-", ".", "(", ")"), or, without
// "+", at least minNumberDigits digits in a row. It is what keeps numbers out of log lines whatever wrote
// them (sipgo's errors quote Request-URIs and Contacts). Text without such a run is returned as it is.
func maskText(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		end, digits := numberRun(s, i)
		if digits < minNumberDigits {
			i = max(end, i+1)
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[done:i])
		b.WriteString(maskNumber(runNumber(s[i:end])))
		done, i = end, end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// numberRun returns the end of the digit run starting at s[i] and how many digits it has; 0 digits when
// none starts there. A run that starts with "+" may hold separators between digits.
func numberRun(s string, i int) (end, digits int) {
	plus := s[i] == '+'
	j := i
	if plus {
		j++
	}
	end = j
	for ; j < len(s); j++ {
		switch c := s[j]; {
		case '0' <= c && c <= '9':
			digits++
			end = j + 1
		case plus && digits > 0 && strings.IndexByte(" -.()", c) >= 0:
		default:
			return end, digits
		}
	}
	return end, digits
}

// runNumber keeps the "+" and the digits of a run.
func runNumber(run string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, run)
}
