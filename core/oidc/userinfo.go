package oidc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/meetline/meetline/core"
)

// UserInfo asks the provider's userinfo endpoint about the bearer of
// accessToken, for providers that leave names out of the identity token:
// ProConnect puts given_name and usual_name only there, as a signed JWT
// (go-oidc checks its signature against the provider's keys). The answer
// must be about sub, the identity token's subject (OIDC Core 5.3.4), or it
// is refused. It returns names, language and time zone, never an address:
// the identity token's is the one that signs in.
func (v *Verifier) UserInfo(ctx context.Context, sub, accessToken string) (core.Claims, error) {
	if v.provider == nil || v.provider.UserInfoEndpoint() == "" {
		return core.Claims{}, errors.New("oidc: the provider has no userinfo endpoint")
	}
	if accessToken == "" || len(accessToken) > maxTokenSize {
		return core.Claims{}, errors.New("oidc: no usable access token")
	}
	info, err := v.provider.UserInfo(gooidc.ClientContext(ctx, v.client), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken}))
	if err != nil {
		return core.Claims{}, fmt.Errorf("oidc: userinfo: %w", err)
	}
	if info.Subject != sub {
		return core.Claims{}, errors.New("oidc: userinfo is about another subject than the identity token")
	}
	var p profile
	if err := info.Claims(&p); err != nil {
		return core.Claims{}, fmt.Errorf("oidc: userinfo claims: %w", err)
	}
	return core.Claims{Sub: sub, FullName: fullName(p), ShortName: strings.TrimSpace(p.GivenName),
		Language: core.LanguageFor(p.Locale), TimeZone: timeZone(p.Zoneinfo)}, nil
}
