package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/meetline/meetline/core"
)

// maxTokenSize is the longest token Verify will parse. Real identity tokens
// are a few kilobytes; anything longer is refused before any decoding.
const maxTokenSize = 16 << 10

// asymmetricAlgs are the signature algorithms accepted with a static key set
// ([WithKeySet]): every public-key algorithm go-oidc knows, never "none" or an
// HMAC. With discovery, the provider's advertised algorithms apply instead.
var asymmetricAlgs = []string{
	gooidc.RS256, gooidc.RS384, gooidc.RS512,
	gooidc.ES256, gooidc.ES384, gooidc.ES512,
	gooidc.PS256, gooidc.PS384, gooidc.PS512,
	gooidc.EdDSA,
}

// A Verifier checks identity tokens from one issuer for one audience. It is
// safe for concurrent use.
type Verifier struct {
	verifier *gooidc.IDTokenVerifier
	// provider and client serve UserInfo; provider is nil with a static key set.
	provider *gooidc.Provider
	client   *http.Client
}

// NewVerifier returns a verifier of tokens issued by issuerURL for audience
// (the client ID web clients sign in with). Unless [WithKeySet] is given, it
// fetches the issuer's discovery document now, with ctx, and the issuer's keys
// later, when the first token needs them; an issuer that cannot be discovered
// is an error.
func NewVerifier(ctx context.Context, issuerURL, audience string, opts ...Option) (*Verifier, error) {
	if issuerURL == "" {
		return nil, errors.New("oidc: no issuer URL")
	}
	if audience == "" {
		return nil, errors.New("oidc: no audience")
	}
	o := options{client: &http.Client{Timeout: defaultHTTPTimeout}}
	for _, opt := range opts {
		opt(&o)
	}
	config := &gooidc.Config{ClientID: audience}
	if o.keySet != nil {
		// Without discovery go-oidc would accept RS256 only.
		config.SupportedSigningAlgs = asymmetricAlgs
		return &Verifier{verifier: gooidc.NewVerifier(issuerURL, o.keySet, config)}, nil
	}
	// go-oidc keeps the client of the discovery context for its key fetches.
	provider, err := gooidc.NewProvider(gooidc.ClientContext(ctx, o.client), issuerURL)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovering %s: %w", issuerURL, err)
	}
	return &Verifier{verifier: provider.Verifier(config), provider: provider, client: o.client}, nil
}

// profile holds the claims Verify reads beyond what go-oidc checks.
type profile struct {
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	GivenName     string          `json:"given_name"`
	UsualName     string          `json:"usual_name"` // the name in use (French "nom d'usage"), as ProConnect sends it
	Name          string          `json:"name"`
	Locale        string          `json:"locale"`   // BCP 47, as OIDC Core 5.1 says
	Zoneinfo      string          `json:"zoneinfo"` // an IANA time zone
}

// Verify checks rawToken's signature, issuer, audience, expiry and
// not-before time, and returns what it says about its bearer. A token that
// fails any check, or that names no subject, is EUNAUTHORIZED; the error's
// message is safe to show the client, and its text (Error) also says why, for
// the server's log, without quoting the token. If ctx ends first, the error is
// ctx's.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (core.Claims, error) {
	if rawToken == "" {
		return core.Claims{}, reject("no identity token", nil)
	}
	if len(rawToken) > maxTokenSize {
		return core.Claims{}, reject("identity token too large", nil)
	}
	if !isCompactJWS(rawToken) {
		return core.Claims{}, reject("malformed identity token", nil)
	}
	token, err := v.verifier.Verify(ctx, rawToken)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return core.Claims{}, fmt.Errorf("oidc: verifying identity token: %w", ctxErr)
		}
		var expired *gooidc.TokenExpiredError
		if errors.As(err, &expired) {
			return core.Claims{}, reject("identity token expired", err)
		}
		return core.Claims{}, reject("invalid identity token", err)
	}
	if token.Subject == "" {
		return core.Claims{}, reject("identity token has no subject", nil)
	}
	var p profile
	if err := token.Claims(&p); err != nil {
		// A claim of the wrong JSON type, such as a numeric given_name.
		return core.Claims{}, reject("invalid identity token claims", err)
	}
	claims := core.Claims{
		Sub:       token.Subject,
		Email:     strings.TrimSpace(p.Email),
		FullName:  fullName(p),
		ShortName: strings.TrimSpace(p.GivenName),
		Language:  core.LanguageFor(p.Locale),
		TimeZone:  timeZone(p.Zoneinfo),
		Expiry:    token.Expiry,
	}
	switch string(p.EmailVerified) { // some providers send booleans as strings
	case "true", `"true"`:
		// Only an address the provider vouches for may take over an account
		// (OIDC_MATCH_EMAIL); an absent claim vouches for nothing.
		claims.EmailVerified = claims.Email != ""
	case "false", `"false"`:
		// The provider itself says the address is not the bearer's: it is not
		// passed on at all (invitations match users by e-mail too).
		claims.Email = ""
	}
	return claims, nil
}

// timeZone returns zone when it names an IANA time zone, "" otherwise
// (time.LoadLocation also takes "" and "Local", the server's zone).
func timeZone(zone string) string {
	zone = strings.TrimSpace(zone)
	if zone == "" || zone == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return ""
	}
	return zone
}

// isCompactJWS reports whether s has the shape of a JWS in compact
// serialization: three base64url parts separated by dots. go-jose would also
// accept the JSON serialization and surrounding white space; an identity
// token is never either, so Verify does not let go-jose try.
func isCompactJWS(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return dots == 2
}

// fullName is given_name and usual_name joined by a space, either of which
// may be missing. When both are, it falls back to the standard name claim,
// which providers that do not split names send instead.
func fullName(p profile) string {
	full := strings.TrimSpace(strings.TrimSpace(p.GivenName) + " " + strings.TrimSpace(p.UsualName))
	if full == "" {
		full = strings.TrimSpace(p.Name)
	}
	return full
}
