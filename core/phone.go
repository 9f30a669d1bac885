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
