package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const testAudience = "meetline-web"

// testIssuer is a DevIssuer served over real HTTP at <server>/dev-issuer,
// mounted the way the core mounts it.
type testIssuer struct {
	*DevIssuer
	url string
	srv *httptest.Server
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	url := srv.URL + "/dev-issuer"
	dev := NewDevIssuer(url, testAudience, newKey(t))
	mux.Handle("/dev-issuer/", http.StripPrefix("/dev-issuer", dev))
	return &testIssuer{DevIssuer: dev, url: url, srv: srv}
}

// discoveryVerifier verifies through discovery and the served JWKS.
func (ti *testIssuer) discoveryVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), ti.url, testAudience, WithHTTPClient(ti.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// staticVerifier verifies against the issuer's key set, without HTTP.
func (ti *testIssuer) staticVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), ti.url, testAudience, WithKeySet(ti.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (ti *testIssuer) mustSign(t testing.TB, c DevClaims) string {
	t.Helper()
	tok, err := ti.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mustSignRaw signs payload as is with the issuer's key.
func (ti *testIssuer) mustSignRaw(t testing.TB, payload any) string {
	t.Helper()
	tok, err := ti.sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// stdClaims are valid registered claims for ti, at now.
func (ti *testIssuer) stdClaims(sub string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": ti.url,
		"aud": testAudience,
		"sub": sub,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// signWith signs payload with any key and kid, and alg.
func signWith(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, payload any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(payload).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
