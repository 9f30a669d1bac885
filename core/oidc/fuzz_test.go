package oidc

import (
	"strings"
	"testing"

	"github.com/meetline/meetline/core"
)

// FuzzVerify feeds arbitrary strings to Verify: it reads untrusted input on
// every web request, so it must never panic, must reject with EUNAUTHORIZED,
// and must not quote what it was given.
func FuzzVerify(f *testing.F) {
	ti := newTestIssuer(f)
	v := ti.staticVerifier(f)
	valid := ti.mustSign(f, DevClaims{Sub: "alice", Email: "alice@example.org", GivenName: "Alice", UsualName: "Martin"})
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		valid,
		"",
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1],
		"." + parts[1] + "." + parts[2],
		parts[0] + ".." + parts[2],
		valid + ".",
		strings.ToUpper(valid),
		b64(`{"alg":"none"}`) + "." + parts[1] + ".",
		b64(`{"alg":"ES256","kid":"x","crit":["b64"],"b64":false}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"ES256"}`) + "." + b64(`{"sub":1,"aud":{},"exp":"x","nbf":[]}`) + "." + parts[2],
		b64(`{"alg":"ES256"}`) + "." + b64(`{"_claim_names":{"a":""}}`) + "." + parts[2],
		"a.b.c",
		"{}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := v.Verify(t.Context(), token)
		if err == nil {
			if claims.Sub == "" {
				t.Fatalf("accepted %q without a subject", token)
			}
			return
		}
		if code := core.Code(err); code != core.EUNAUTHORIZED {
			t.Fatalf("code %q for %q: %v", code, token, err)
		}
		if len(token) >= 16 && strings.Contains(err.Error(), token) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}
