package core

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneNumber is a valid phone number in E.164 form ("+33123456789").
type PhoneNumber string

// ParsePhoneNumber reads a number as people and SIP trunks write it ("+33 1 23
// 45 67 89", "0033123456789", "01 23 45 67 89" with region "FR") and returns it
// in E.164. region is an ISO 3166-1 alpha-2 code used when the number carries
// no country code.
func ParsePhoneNumber(s, region string) (PhoneNumber, error) {
	s = strings.TrimSpace(s)

	if s == "" {
		return "", Errorf(EINVALID, "phone number is empty")
	}
	if strings.HasPrefix(s, "00") { // international prefix used across most of Europe
		s = "+" + s[2:]
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", Errorf(EINVALID, "%q is not a valid phone number", s)
	}
	return PhoneNumber(phonenumbers.Format(n, phonenumbers.E164)), nil
}

// Describe returns the number formatted for people to read, in international
// format ("+33 1 23 45 67 89"), and its ISO 3166-1 alpha-2 region ("FR"), or
// "" when unknown. One parse serves both: parsing is the costly part.
func (p PhoneNumber) Describe() (display, region string) {
	n, err := phonenumbers.Parse(string(p), "")
	if err != nil {
		return string(p), ""
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL), phonenumbers.GetRegionCodeForNumber(n)
}

// IsE164 reports whether s is written in E.164: "+", a non-zero digit and at
// most 14 more digits (ITU-T E.164 §6). It checks the form, not that the number exists.
func IsE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PhoneCallerName is how a phone caller appears in a lobby: "Phone ••• 42",
// the last two digits of callerID and nothing more, enough for an
// administrator who expects a call to recognise it, while the number is
// neither shown nor stored. "Phone" when callerID has fewer than two digits
// (an anonymous caller, a SIP user name).
func PhoneCallerName(callerID string) string {
	var last []byte
	for i := len(callerID) - 1; i >= 0 && len(last) < 2; i-- {
		if c := callerID[i]; c >= '0' && c <= '9' {
			last = append([]byte{c}, last...)
		}
	}
	if len(last) < 2 {
		return "Phone"
	}
	return "Phone ••• " + string(last)
}
