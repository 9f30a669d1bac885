package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/oidc"
	"github.com/meetline/meetline/core/testenv"
)

// TestConsoleOIDCSignIn signs in through an OpenID provider, as production
// does: the console runs the authorization code flow with PKCE in the
// browser, and the core verifies the identity token it gets against the
// provider's published keys. The provider is the test's own (provider below).
func TestConsoleOIDCSignIn(t *testing.T) {
	t.Parallel()
	node := lookPath(t, "node", "Node.js")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s (%v): run `make test`, which installs Debian's chromium", chromium, err)
	}
	idp := newProvider(t, "meetline")
	ctx := context.Background()
	// The core as production configures it: its users' tokens come from the provider.
	c := testenv.Core(t, testenv.WithConfig(func(c *app.Config) {
		c.DevIssuer, c.OIDCIssuerURL, c.OIDCAudience = false, idp.url, "meetline"
	}))

	shots, err := filepath.Abs(filepath.Join("e2e", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, filepath.Join("e2e", "oidc.mjs"))
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+c.URL, "PROVIDER_URL="+idp.url, "EXPECT_NAME=Olga Provider",
		"SCREENSHOTS="+shots, "CHROMIUM="+chromium)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s(in %v)", out, time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("e2e/oidc.mjs: %v", err)
	}
	if n := idp.tokens(); n != 1 {
		t.Errorf("the provider issued %d tokens, want 1", n)
	}
}

// provider is a minimal OpenID provider: discovery, an authorization
// endpoint that signs "olga" in at once (no login form), a token endpoint
// that checks the PKCE verifier (RFC 7636) and returns an ES256 identity
// token with the request's nonce, and its key set. Browsers reach it from
// the console's origin, so it answers with CORS headers.
type provider struct {
	url, clientID string
	key           *ecdsa.PrivateKey
	keys          *oidc.DevIssuer // serves the public key as a JWK set
	mu            sync.Mutex
	codes         map[string]grant
	issued        int
}

type grant struct{ challenge, nonce, redirect string }

func newProvider(t *testing.T, clientID string) *provider {
	t.Helper()
	key, err := oidc.LoadOrCreateKey(filepath.Join(t.TempDir(), "idp.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{clientID: clientID, key: key, codes: map[string]grant{}}
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	p.url = hs.URL
	p.keys = oidc.NewDevIssuer(p.url, clientID, key)
	return p
}

func (p *provider) tokens() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issued
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.url, "authorization_endpoint": p.url + "/authorize", "token_endpoint": p.url + "/token",
			"jwks_uri": p.url + "/jwks", "response_types_supported": []string{"code"},
			"id_token_signing_alg_values_supported": []string{"ES256"}, "subject_types_supported": []string{"public"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	case "/jwks":
		p.keys.ServeHTTP(w, r)
	case "/authorize":
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != p.clientID || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("redirect_uri") == "" {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := rand.Text()
		p.mu.Lock()
		p.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		p.mu.Unlock()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	case "/token":
		p.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "authorization_code" ||
		r.PostForm.Get("client_id") != p.clientID {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostForm.Get("redirect_uri") != g.redirect {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	now := time.Now()
	tok, err := signES256(p.key, map[string]any{
		"iss": p.url, "aud": p.clientID, "sub": "olga", "email": "olga@example.org", "given_name": "Olga",
		"usual_name": "Provider", "nonce": g.nonce, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.issued++
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id_token": tok, "access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600})
}

// signES256 makes a compact JWS (RFC 7515) of claims, signed with key.
func signES256(key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig), nil
}
