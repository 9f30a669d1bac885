package sipgate

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// calledNumber is the number the caller dialled: the Request-URI's user part (RFC 3261 §8.2.2.1: the
// Request-URI names the target), else the To header's (a proxy may have rewritten the Request-URI to
// sipgate's own address).
func calledNumber(req *sip.Request) string {
	if n := normaliseNumber(req.Recipient.User); n != "" {
		return n
	}
	if to := req.To(); to != nil {
		return normaliseNumber(to.Address.User)
	}
	return ""
}

// callerID is the caller's number and whether it can be believed. P-Asserted-Identity (RFC 3325 §9.1) and
// Remote-Party-ID (draft-ietf-sip-privacy-04, still sent by carriers) are believed only from a source in
// trusted, the carriers, SBCs or Kamailio of the trust domain; anyone else can write any number there, so
// for them, as for a request without either, the number is the From user's (§20.20), untrusted.
// "anonymous" (RFC 3323) gives "". The core keys failure budgets on trusted numbers only, and the lobby's
// "Phone ••• 42" says nothing of an untrusted one.
func callerID(req *sip.Request, trusted []netip.Prefix) (number string, ok bool) {
	user := ""
	if fromTrusted(req, trusted) {
		for _, name := range []string{"P-Asserted-Identity", "Remote-Party-ID"} {
			if user = headerUser(req.GetHeader(name)); user != "" {
				ok = true
				break
			}
		}
	}
	if user == "" {
		if from := req.From(); from != nil {
			user = from.Address.User
		}
	}
	if strings.EqualFold(user, "anonymous") {
		return "", false
	}
	return normaliseNumber(user), ok
}

// shownCaller is the number the room may show the caller by ("Phone ••• 42" in the lobby, "Phone 1234" in
// LiveKit): a trusted one only, since anyone can put any number in From.
func (c *call) shownCaller() string {
	if c.trusted {
		return c.caller
	}
	return ""
}

// fromTrusted reports whether req came from an address in trusted: the transport's source, never a Via
// (which the sender writes).
func fromTrusted(req *sip.Request, trusted []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(req.MessageData.Source())
	if err != nil {
		return false
	}
	for _, p := range trusted {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// headerUser is the user part of the first URI of an identity header ("name" <sip:user@host>;params, or a
// bare URI), "" when there is none.
func headerUser(h sip.Header) string {
	if h == nil {
		return ""
	}
	v := strings.TrimSpace(h.Value())
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v, _, _ = strings.Cut(v[i+1:], ">")
	} else {
		v, _, _ = strings.Cut(v, ";")
	}
	var uri sip.Uri
	if sip.ParseUri(strings.TrimSpace(v), &uri) != nil {
		return ""
	}
	return uri.User
}

// normaliseNumber strips RFC 3966 visual separators (space, "-", ".", "(", ")") and turns the international
// prefix "00" into "+". Other digits pass as they are: the core parses national numbers in its default
// region. Users that are not numbers pass unchanged (the core answers NotFound).
func normaliseNumber(user string) string {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, user)
	if rest, ok := strings.CutPrefix(n, "00"); ok && rest != "" {
		return "+" + rest
	}
	return n
}
