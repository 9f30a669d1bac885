package core_test

import (
	"testing"

	"github.com/meetline/meetline/core"
)

func TestParsePhoneNumber(t *testing.T) {
	tests := []struct {
		in, region string
		want       core.PhoneNumber
		display    string
		wantRegion string
	}{
		{"+33 1 23 45 67 89", "", "+33123456789", "+33 1 23 45 67 89", "FR"},
		{"0033123456789", "", "+33123456789", "+33 1 23 45 67 89", "FR"},
		{"01 23 45 67 89", "FR", "+33123456789", "+33 1 23 45 67 89", "FR"},
		{"01 23 45 67 89", "fr", "+33123456789", "+33 1 23 45 67 89", "FR"},
		{"+31 20 123 4567", "FR", "+31201234567", "+31 20 123 4567", "NL"},
		{"+49 30 123456", "", "+4930123456", "+49 30 123456", "DE"},
		{"+1 650-253-0000", "", "+16502530000", "+1 650-253-0000", "US"},
	}
	for _, tt := range tests {
		got, err := core.ParsePhoneNumber(tt.in, tt.region)
		if err != nil {
			t.Errorf("ParsePhoneNumber(%q, %q): %v", tt.in, tt.region, err)
			continue
		}
		display, region := got.Describe()
		if got != tt.want || display != tt.display || region != tt.wantRegion {
			t.Errorf("ParsePhoneNumber(%q, %q) = %q (%q, %q), want %q (%q, %q)",
				tt.in, tt.region, got, display, region, tt.want, tt.display, tt.wantRegion)
		}
	}
}

func TestParsePhoneNumberRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "abc", "+33 1", "01 23 45 67 89" /* no region */, "+999 123", "+33 1 23 45 67 89 00 00"} {
		_, err := core.ParsePhoneNumber(in, "")
		if core.Code(err) != core.EINVALID {
			t.Errorf("ParsePhoneNumber(%q) error = %v, want EINVALID", in, err)
		}
	}
}

func BenchmarkParsePhoneNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := core.ParsePhoneNumber("+33 1 23 45 67 89", "FR"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIsE164(t *testing.T) {
	for s, want := range map[string]bool{
		"+33123456789": true, "+12": true, "+123456789012345": true,
		"": false, "+": false, "+1": false, "33123456789": false, "+0123": false,
		"+1234567890123456": false, "+33 1 23": false, "+33-1": false,
	} {
		if got := core.IsE164(s); got != want {
			t.Errorf("IsE164(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPhoneCallerName(t *testing.T) {
	for in, want := range map[string]string{
		"+33612345642":         "Phone ••• 42",
		"0612345607":           "Phone ••• 07",
		"sip:alice42x@example": "Phone ••• 42",
		"4":                    "Phone",
		"alice7":               "Phone",
		"anonymous":            "Phone",
		"":                     "Phone",
	} {
		if got := core.PhoneCallerName(in); got != want {
			t.Errorf("PhoneCallerName(%q) = %q, want %q", in, got, want)
		}
		if err := core.CheckUsername(core.PhoneCallerName(in)); err != nil {
			t.Errorf("PhoneCallerName(%q) is no valid lobby name: %v", in, err)
		}
	}
}
