package sipgate

import (
	"net/netip"
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

// P-Asserted-Identity and Remote-Party-ID count only from a trusted proxy, by the transport's source
// address (never a Via the sender writes); otherwise the caller id is From's, untrusted.
func TestCallerID(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name, source string
		headers      map[string]string
		from, want   string
		ok           bool
	}{
		{"from only", "192.0.2.5:5060", nil, "0033612345642", "+33612345642", false},
		{"pai from a carrier", "192.0.2.5:5060", map[string]string{"P-Asserted-Identity": `"Carrier" <sip:+33700000042@carrier.example>`}, "0033612345642", "+33700000042", true},
		{"rpid from a carrier", "[2001:db8::7]:5060", map[string]string{"Remote-Party-ID": `<sip:+33700000043@carrier.example>;party=calling;screen=yes`}, "x", "+33700000043", true},
		{"bare pai uri", "192.0.2.5:5060", map[string]string{"P-Asserted-Identity": `sip:+33700000044@carrier.example;user=phone`}, "x", "+33700000044", true},
		{"pai from anyone else", "203.0.113.9:5060", map[string]string{"P-Asserted-Identity": `<sip:+33700000042@carrier.example>`}, "+33611111111", "+33611111111", false},
		{"rpid from anyone else", "203.0.113.9:5060", map[string]string{"Remote-Party-ID": `<sip:+33700000042@carrier.example>`}, "+33611111111", "+33611111111", false},
		{"unparsable pai from a carrier", "192.0.2.5:5060", map[string]string{"P-Asserted-Identity": `<garbage>`}, "+33611111111", "+33611111111", false},
		{"no transport source", "", map[string]string{"P-Asserted-Identity": `<sip:+33700000042@carrier.example>`}, "+33611111111", "+33611111111", false},
		{"anonymous", "192.0.2.5:5060", nil, "anonymous", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{User: "x", Host: "h"})
			req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: tt.from, Host: "h"}, Params: sip.NewParams()})
			req.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "192.0.2.5", Port: 5060, Params: sip.NewParams()})
			for k, v := range tt.headers {
				req.AppendHeader(sip.NewHeader(k, v))
			}
			req.SetSource(tt.source)
			if got, ok := callerID(req, trusted); got != tt.want || ok != tt.ok {
				t.Errorf("callerID = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMaskText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no numbers here", "no numbers here"},
		{"sip:+33612345678@10.0.0.1:5060", "sip:+33 6•• ••• •78@10.0.0.1:5060"},
		{"tel:+1-202-555-0142;phone-context", "tel:+1 2 ••• ••• •42;phone-context"},
		{"From: <sip:0612345642@carrier>", "From: <sip:• ••• ••• •42@carrier>"},
		{"port 5060 status 486 took 123456 ns", "port 5060 status 486 took 123456 ns"},
		{"127.0.0.1:5060->192.168.100.200:31000", "127.0.0.1:5060->192.168.100.200:31000"},
		{"2026-12-06T08:12:25Z", "2026-12-06T08:12:25Z"},
		{"+33 6 12 34 56 78 and +44 20 7946 0958.", "+33 6•• ••• •78 and +44 2 ••• ••• •58."},
		{"a+1234", "a+1234"},
		{"+", "+"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := maskText(tt.in); got != tt.want {
			t.Errorf("maskText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMaskText: whatever the text, no phone-number-like run survives masking, masking twice changes
// nothing more, and text without such a run comes back as it is.
func FuzzMaskText(f *testing.F) {
	for _, s := range []string{"sip:+33612345678@gw", "tel:+1-202-555-0142", "0612345642", "+33 6 12 34 56 78",
		"127.0.0.1:5060", "+(33)612345678", "++33612345678", "1234567", "+123456", "é+33612345678é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := maskText(s)
		for i := 0; i < len(got); i++ {
			if _, digits := numberRun(got, i); digits >= minNumberDigits {
				t.Fatalf("maskText(%q) = %q: a run of %d digits at %d", s, got, digits, i)
			}
		}
		if again := maskText(got); again != got {
			t.Fatalf("maskText not stable: %q → %q → %q", s, got, again)
		}
		masked := false
		for i := 0; i < len(s); i++ {
			if _, digits := numberRun(s, i); digits >= minNumberDigits {
				masked = true
			}
		}
		if !masked && got != s {
			t.Fatalf("maskText(%q) = %q changed text without a number", s, got)
		}
	})
}

// FuzzCallerID: whatever identity headers arrive, callerID does not panic, trusts nothing from an untrusted
// source, and returns a normalised number (no visual separator).
func FuzzCallerID(f *testing.F) {
	f.Add("<sip:+33700000042@carrier>", "<sip:+33700000043@c>;party=calling", "0033612345642", true)
	f.Add("sip:+1 (202) 555-0142@c;user=phone", "", "anonymous", false)
	f.Add("<", ">", "", true)
	trusted := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	f.Fuzz(func(t *testing.T, pai, rpid, from string, fromCarrier bool) {
		req := sip.NewRequest(sip.INVITE, sip.Uri{User: "x", Host: "h"})
		req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: from, Host: "h"}, Params: sip.NewParams()})
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", pai))
		req.AppendHeader(sip.NewHeader("Remote-Party-ID", rpid))
		req.SetSource("203.0.113.9:5060")
		if fromCarrier {
			req.SetSource("192.0.2.5:5060")
		}
		n, ok := callerID(req, trusted)
		if ok && !fromCarrier {
			t.Fatalf("trusted %q from an untrusted source", n)
		}
		if normaliseNumber(n) != n {
			t.Fatalf("caller id %q is not normalised", n)
		}
	})
}
