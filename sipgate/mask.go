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
