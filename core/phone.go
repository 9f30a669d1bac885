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

// Display formats the number for people to read, in international format
// ("+33 1 23 45 67 89").
func (p PhoneNumber) Display() string {
	n, err := phonenumbers.Parse(string(p), "")
	if err != nil {
		return string(p)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// Region returns the ISO 3166-1 alpha-2 region of the number, or "" when unknown.
func (p PhoneNumber) Region() string {
	n, err := phonenumbers.Parse(string(p), "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}
