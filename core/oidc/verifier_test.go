package oidc

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/meetline/meetline/core"
)

func TestVerifyValid(t *testing.T) {
	ti := newTestIssuer(t)
	withName := func(name string, extra map[string]any) func(t *testing.T) string {
		return func(t *testing.T) string {
			c := ti.stdClaims("alice")
			c["email"] = "alice@example.org"
			if name != "" {
				c["name"] = name
			}
			for k, v := range extra {
				c[k] = v
			}
			return ti.mustSignRaw(t, c)
		}
	}
	sign := func(c DevClaims) func(t *testing.T) string {
		return func(t *testing.T) string { return ti.mustSign(t, c) }
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  core.Claims
	}{
		{"given and usual name", sign(DevClaims{Sub: "alice", Email: "alice@example.org", GivenName: "Alice", UsualName: "Martin"}),
			core.Claims{Sub: "alice", Email: "alice@example.org", FullName: "Alice Martin", ShortName: "Alice"}},
		{"given name only", sign(DevClaims{Sub: "alice", GivenName: "Alice"}),
			core.Claims{Sub: "alice", FullName: "Alice", ShortName: "Alice"}},
		{"usual name only", sign(DevClaims{Sub: "alice", UsualName: "Martin"}),
			core.Claims{Sub: "alice", FullName: "Martin"}},
		{"names trimmed", sign(DevClaims{Sub: "alice", GivenName: "  Alice ", UsualName: " "}),
			core.Claims{Sub: "alice", FullName: "Alice", ShortName: "Alice"}},
		{"neither: falls back to name", withName("Alice Martin", nil),
			core.Claims{Sub: "alice", Email: "alice@example.org", FullName: "Alice Martin"}},
		{"given_name wins over name", withName("Someone Else", map[string]any{"given_name": "Alice"}),
			core.Claims{Sub: "alice", Email: "alice@example.org", FullName: "Alice", ShortName: "Alice"}},
		{"no names at all", withName("", nil),
			core.Claims{Sub: "alice", Email: "alice@example.org"}},
		{"email_verified true keeps email, verified", withName("", map[string]any{"email_verified": true}),
			core.Claims{Sub: "alice", Email: "alice@example.org", EmailVerified: true}},
		{`email_verified "true" keeps email, verified`, withName("", map[string]any{"email_verified": "true"}),
			core.Claims{Sub: "alice", Email: "alice@example.org", EmailVerified: true}},
		{"email_verified true without email", withName("", map[string]any{"email_verified": true, "email": ""}),
			core.Claims{Sub: "alice"}},
		{"email_verified 1 is not true", withName("", map[string]any{"email_verified": 1}),
			core.Claims{Sub: "alice", Email: "alice@example.org"}},
		{"email_verified false drops email", withName("", map[string]any{"email_verified": false}),
			core.Claims{Sub: "alice"}},
		{`email_verified "false" drops email`, withName("", map[string]any{"email_verified": "false"}),
			core.Claims{Sub: "alice"}},
		{"locale and zoneinfo", withName("", map[string]any{"locale": "fr-FR", "zoneinfo": "Europe/Paris"}),
			core.Claims{Sub: "alice", Email: "alice@example.org", Language: "fr-fr", TimeZone: "Europe/Paris"}},
		{"locale by language alone", withName("", map[string]any{"locale": "nl"}),
			core.Claims{Sub: "alice", Email: "alice@example.org", Language: "nl-nl"}},
		{"unknown locale and zone dropped", withName("", map[string]any{"locale": "tlh", "zoneinfo": "Mars/Olympus"}),
			core.Claims{Sub: "alice", Email: "alice@example.org"}},
		{`zoneinfo "Local" dropped`, withName("", map[string]any{"zoneinfo": "Local"}),
			core.Claims{Sub: "alice", Email: "alice@example.org"}},
		{"audience among several", withName("", map[string]any{"aud": []string{"other", testAudience}}),
			core.Claims{Sub: "alice", Email: "alice@example.org"}},
		// go-oidc allows 5 minutes of clock skew on nbf (and none on exp).
		{"nbf within clock-skew leeway", withName("", map[string]any{"nbf": time.Now().Add(time.Minute).Unix()}),
			core.Claims{Sub: "alice", Email: "alice@example.org"}},
	}
	verifiers := map[string]*Verifier{
		"discovery": ti.discoveryVerifier(t),
		"static":    ti.staticVerifier(t),
	}
	for vname, v := range verifiers {
		for _, tt := range tests {
			t.Run(vname+"/"+tt.name, func(t *testing.T) {
				got, err := v.Verify(t.Context(), tt.token(t))
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.Expiry.Before(time.Now()) || got.Expiry.After(time.Now().Add(2*time.Hour)) {
					t.Errorf("Expiry = %v, want the token's exp", got.Expiry)
				}
				got.Expiry = time.Time{}
				if got != tt.want {
					t.Errorf("Verify = %+v, want %+v", got, tt.want)
				}
			})
		}
	}
}

// b64 is base64url without padding, as in a JWS.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyRejects(t *testing.T) {
	ti := newTestIssuer(t)
	now := time.Now()
	claimsWith := func(edit func(c map[string]any)) map[string]any {
		c := ti.stdClaims("alice")
		edit(c)
		return c
	}
	valid := ti.mustSign(t, DevClaims{Sub: "alice", Email: "alice@example.org", GivenName: "Alice"})
	parts := strings.Split(valid, ".")
	otherKey := newKey(t)

	tests := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"empty", func(*testing.T) string { return "" }},
		{"expired", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) {
				c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Minute).Unix()
			}))
		}},
		{"no exp", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) { delete(c, "exp") }))
		}},
		{"not yet valid", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) {
				c["nbf"], c["exp"] = now.Add(10*time.Minute).Unix(), now.Add(time.Hour).Unix()
			}))
		}},
		{"wrong audience", func(t *testing.T) string {
			tok, err := NewDevIssuer(ti.url, "someone-else", ti.key).Sign(DevClaims{Sub: "alice"}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"no audience", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) { delete(c, "aud") }))
		}},
		{"wrong issuer", func(t *testing.T) string {
			tok, err := NewDevIssuer("https://evil.example.org", testAudience, ti.key).Sign(DevClaims{Sub: "alice"}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"signed by another key", func(t *testing.T) string {
			tok, err := NewDevIssuer(ti.url, testAudience, otherKey).Sign(DevClaims{Sub: "alice"}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"signed by another key with the issuer's kid", func(t *testing.T) string {
			return signWith(t, jose.ES256, otherKey, ti.kid, ti.stdClaims("alice"))
		}},
		{"signed by another key without kid", func(t *testing.T) string {
			return signWith(t, jose.ES256, otherKey, "", ti.stdClaims("alice"))
		}},
		{"alg none", func(t *testing.T) string {
			payload, _ := json.Marshal(ti.stdClaims("alice"))
			return b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(payload)) + "."
		}},
		{"alg none with the issuer's kid and a signature", func(t *testing.T) string {
			payload, _ := json.Marshal(ti.stdClaims("alice"))
			return b64(`{"alg":"none","kid":"`+ti.kid+`"}`) + "." + b64(string(payload)) + "." + parts[2]
		}},
		{"HS256 keyed with the public key", func(t *testing.T) string {
			der, err := x509.MarshalPKIXPublicKey(ti.key.Public())
			if err != nil {
				t.Fatal(err)
			}
			return signWith(t, jose.HS256, der, ti.kid, ti.stdClaims("alice"))
		}},
		{"tampered payload", func(t *testing.T) string {
			raw, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			forged := strings.Replace(string(raw), `"sub":"alice"`, `"sub":"admin"`, 1)
			if forged == string(raw) {
				t.Fatalf("payload %s has no sub to flip", raw)
			}
			return parts[0] + "." + b64(forged) + "." + parts[2]
		}},
		{"tampered header", func(t *testing.T) string {
			return b64(`{"alg":"ES256","kid":"`+ti.kid+`","typ":"JOSE"}`) + "." + parts[1] + "." + parts[2]
		}},
		{"signature truncated", func(*testing.T) string { return valid[:len(valid)-4] }},
		{"signature missing", func(*testing.T) string { return parts[0] + "." + parts[1] + "." }},
		{"two parts", func(*testing.T) string { return parts[0] + "." + parts[1] }},
		{"four parts", func(*testing.T) string { return valid + ".xyz" }},
		{"JSON serialization", func(*testing.T) string {
			return `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`
		}},
		{"missing sub", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) { delete(c, "sub") }))
		}},
		{"empty sub", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) { c["sub"] = "" }))
		}},
		{"numeric given_name", func(t *testing.T) string {
			return ti.mustSignRaw(t, claimsWith(func(c map[string]any) { c["given_name"] = 42 }))
		}},
		{"too large", func(*testing.T) string { return strings.Repeat("a", maxTokenSize+1) }},
	}
	for _, g := range []string{"garbage", "a.b.c", "...", "eyJ.eyJ.", "Bearer " + valid, " " + valid,
		"\x00\xff.\x00.\x00", "ééé.ààà.ùùù", strings.Repeat(".", 1000)} {
		g := g
		tests = append(tests, struct {
			name  string
			token func(t *testing.T) string
		}{"garbage " + strings.ToValidUTF8(g[:min(len(g), 12)], "?"), func(*testing.T) string { return g }})
	}

	verifiers := map[string]*Verifier{
		"discovery": ti.discoveryVerifier(t),
		"static":    ti.staticVerifier(t),
	}
	for vname, v := range verifiers {
		for _, tt := range tests {
			t.Run(vname+"/"+tt.name, func(t *testing.T) {
				token := tt.token(t)
				claims, err := v.Verify(t.Context(), token)
				if err == nil {
					t.Fatalf("Verify accepted it: %+v", claims)
				}
				if code := core.Code(err); code != core.EUNAUTHORIZED {
					t.Errorf("code = %q, want %q (%v)", code, core.EUNAUTHORIZED, err)
				}
				if claims != (core.Claims{}) {
					t.Errorf("claims = %+v on error", claims)
				}
				var de *core.Error
				if !errors.As(err, &de) {
					t.Fatalf("no *core.Error in %v", err)
				}
				if token != "" && (strings.Contains(err.Error(), token) || strings.Contains(de.Message, token)) {
					t.Errorf("error quotes the token: %v", err)
				}
				if len(parts[2]) > 0 && strings.Contains(err.Error(), parts[2]) {
					t.Errorf("error quotes a signature: %v", err)
				}
				t.Logf("%v", err)
			})
		}
	}
}

func TestVerifyExpiredMessage(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.stdClaims("alice")
	c["exp"] = time.Now().Add(-time.Second).Unix()
	_, err := ti.staticVerifier(t).Verify(t.Context(), ti.mustSignRaw(t, c))
	var de *core.Error
	if !errors.As(err, &de) || de.Message != "identity token expired" {
		t.Fatalf("err = %v, want the expired message", err)
	}
}

func TestVerifyContextEnds(t *testing.T) {
	// A JWKS that never answers in time: the caller's deadline must win.
	release := make(chan struct{})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	url := srv.URL + "/dev-issuer"
	dev := NewDevIssuer(url, testAudience, newKey(t))
	mux.Handle("/dev-issuer/.well-known/", http.StripPrefix("/dev-issuer", dev))
	mux.HandleFunc("/dev-issuer/jwks", func(w http.ResponseWriter, r *http.Request) {
		<-release
	})
	v, err := NewVerifier(t.Context(), url, testAudience, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := dev.Sign(DevClaims{Sub: "alice"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = v.Verify(ctx, tok)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

// countingTransport counts the requests made through it, by path.
type countingTransport struct {
	discovery, jwks atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		c.discovery.Add(1)
	case strings.HasSuffix(r.URL.Path, "/jwks"):
		c.jwks.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestNewVerifier(t *testing.T) {
	ti := newTestIssuer(t)

	t.Run("uses the given HTTP client for discovery and keys", func(t *testing.T) {
		ct := &countingTransport{}
		v, err := NewVerifier(t.Context(), ti.url, testAudience, WithHTTPClient(&http.Client{Transport: ct, Timeout: 5 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		tok := ti.mustSign(t, DevClaims{Sub: "alice"})
		for range 3 {
			if _, err := v.Verify(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
		}
		if d, j := ct.discovery.Load(), ct.jwks.Load(); d != 1 || j != 1 {
			t.Errorf("requests: discovery %d, jwks %d; want 1 and 1 (keys cached)", d, j)
		}
	})

	t.Run("static key set makes no request", func(t *testing.T) {
		ct := &countingTransport{}
		v, err := NewVerifier(t.Context(), ti.url, testAudience,
			WithHTTPClient(&http.Client{Transport: ct}), WithKeySet(ti.KeySet()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), ti.mustSign(t, DevClaims{Sub: "alice"})); err != nil {
			t.Fatal(err)
		}
		if d, j := ct.discovery.Load(), ct.jwks.Load(); d+j != 0 {
			t.Errorf("requests: discovery %d, jwks %d; want none", d, j)
		}
	})

	fails := []struct {
		name, issuer, audience string
	}{
		{"no issuer", "", testAudience},
		{"no audience", ti.url, ""},
		{"no discovery document", ti.srv.URL + "/nowhere", testAudience},
		{"discovered issuer differs", ti.srv.URL + "/dev-issuer/", testAudience}, // trailing slash: not the same issuer string
		{"unreachable", "http://127.0.0.1:1/dev-issuer", testAudience},
		{"not a URL", "://", testAudience},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(t.Context(), tt.issuer, tt.audience, WithHTTPClient(ti.srv.Client()))
			if err == nil {
				t.Fatalf("NewVerifier = %v, want an error", v)
			}
			t.Log(err)
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	ti := newTestIssuer(b)
	tok := ti.mustSign(b, DevClaims{Sub: "alice", Email: "alice@example.org", GivenName: "Alice", UsualName: "Martin"})
	for _, mode := range []string{"static", "discovery"} {
		b.Run(mode, func(b *testing.B) {
			v := ti.staticVerifier(b)
			if mode == "discovery" {
				v = ti.discoveryVerifier(b)
			}
			ctx := context.Background()
			if _, err := v.Verify(ctx, tok); err != nil { // fetches and caches the keys
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
