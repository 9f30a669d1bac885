package sipgate

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestMaskNumber(t *testing.T) {
	for in, want := range map[string]string{
		"+33612345642": "+33 6•• ••• •42",
		"+12025550142": "+1 2 ••• ••• •42",
		"+4930123456":  "+49 3• ••• •56",
		"+35312345678": "+353 1• ••• •78",
		"0612345642":   "• ••• ••• •42",
		"+331":         "+•••",
		"":             "",
		"anonymous":    "anonymous",
		"alice":        "•••",
		"+33 6 12":     "•••",
		"1234":         "••••",
	} {
		if got := maskNumber(in); got != want {
			t.Errorf("maskNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCalledNumber(t *testing.T) {
	for _, tt := range []struct{ ruri, to, want string }{
		{"+33123456789", "", "+33123456789"},
		{"0033123456789", "", "+33123456789"},
		{"0123456789", "", "0123456789"},
		{"+33-1-23.45(67)89", "", "+33123456789"},
		{"", "+33123456789", "+33123456789"},
		{"", "", ""},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{User: tt.ruri, Host: "127.0.0.1"})
		req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: tt.to, Host: "example.org"}, Params: sip.NewParams()})
		if got := calledNumber(req); got != tt.want {
			t.Errorf("calledNumber(R-URI %q, To %q) = %q, want %q", tt.ruri, tt.to, got, tt.want)
		}
	}
}

func TestCallerID(t *testing.T) {
	req := sip.NewRequest(sip.INVITE, sip.Uri{User: "x", Host: "h"})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: "0033612345642", Host: "h"}, Params: sip.NewParams()})
	if got := callerID(req); got != "+33612345642" {
		t.Errorf("From only: %q", got)
	}
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", `"Carrier" <sip:+33700000042@carrier.example>`))
	if got := callerID(req); got != "+33700000042" {
		t.Errorf("with P-Asserted-Identity: %q", got)
	}
	anon := sip.NewRequest(sip.INVITE, sip.Uri{User: "x", Host: "h"})
	anon.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: "anonymous", Host: "anonymous.invalid"}, Params: sip.NewParams()})
	if got := callerID(anon); got != "" {
		t.Errorf("anonymous: %q", got)
	}
}
