package sipgate

import (
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

// callerID is the caller's number for rate limiting: P-Asserted-Identity (RFC 3325 §9.1, set by a
// trusted carrier) else the From user (§20.20). "anonymous" (RFC 3323) gives "".
func callerID(req *sip.Request) string {
	user := ""
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var uri sip.Uri
		v := strings.TrimSpace(h.Value())
		if i := strings.IndexByte(v, '<'); i >= 0 {
			v, _, _ = strings.Cut(v[i+1:], ">")
		}
		if sip.ParseUri(v, &uri) == nil {
			user = uri.User
		}
	}
	if user == "" {
		if from := req.From(); from != nil {
			user = from.Address.User
		}
	}
	if strings.EqualFold(user, "anonymous") {
		return ""
	}
	return normaliseNumber(user)
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
