package oidc

import "strings"

// BearerToken returns the token of an Authorization header value of the form
// "Bearer <token>" (RFC 6750 §2.1). The scheme is matched case-insensitively;
// the token must be a non-empty b64token. ok is false for anything else,
// including other schemes and an empty header.
func BearerToken(header string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(rest, " ") // credentials = auth-scheme 1*SP b64token
	if !isB64Token(token) {
		return "", false
	}
	return token, true
}

// isB64Token reports whether s matches
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
