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
	"strings"
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
	idp := newProvider(t, "meetline")
	signInThrough(t, idp, "")
	if n := idp.tokens(); n != 1 {
		t.Errorf("the provider issued %d tokens, want 1", n)
	}
}

// TestConsoleOIDCUserinfo signs in through a provider like ProConnect: the
// console asks for the scopes OIDC_SCOPES names, the identity token names
// nobody, and the core asks the userinfo endpoint (a signed JWT) with the
// console's access token for given_name and usual_name, once.
func TestConsoleOIDCUserinfo(t *testing.T) {
	t.Parallel()
	idp := newProvider(t, "meetline")
	idp.namesInUserinfo = true
	const scopes = "openid email given_name usual_name"
	c := signInThrough(t, idp, scopes)
	if got := idp.requestedScope(); got != scopes {
		t.Errorf("the console asked for scopes %q, want %q", got, scopes)
	}
	if n := idp.userinfoCalls(); n != 1 {
		t.Errorf("the core called userinfo %d times, want 1", n)
	}
	var full, short string
	if err := c.DB.Pool.QueryRow(context.Background(), `SELECT full_name, short_name FROM users WHERE sub = 'olga'`).Scan(&full, &short); err != nil {
		t.Fatal(err)
	}
	if full != "Olga Provider" || short != "Olga" {
		t.Errorf("the user is %q (%q), want Olga Provider (Olga)", full, short)
	}
}

// signInThrough serves a core whose users sign in through idp (asking for
// scopes, unless ""), and runs e2e/oidc.mjs against it in Chromium.
func signInThrough(t *testing.T, idp *provider, scopes string) *testenv.CoreServer {
	t.Helper()
	node := lookPath(t, "node", "Node.js")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s (%v): run `make test`, which installs Debian's chromium", chromium, err)
	}
	// The core as production configures it: its users' tokens come from the provider.
	c := testenv.Core(t, testenv.WithConfig(func(c *app.Config) {
		c.DevIssuer, c.OIDCIssuerURL, c.OIDCAudience = false, idp.url, "meetline"
		if scopes != "" {
			c.OIDCScopes = scopes
		}
	}))
	shots, err := filepath.Abs(filepath.Join("e2e", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, filepath.Join("e2e", "oidc.mjs"))
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+c.URL, "PROVIDER_URL="+idp.url, "EXPECT_NAME=Olga Provider",
		"SCREENSHOTS="+shots, "SHOT_PREFIX="+t.Name(), "CHROMIUM="+chromium)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s(in %v)", out, time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("e2e/oidc.mjs: %v", err)
	}
	return c
}

// provider is a minimal OpenID provider: discovery, an authorization
// endpoint that signs "olga" in at once (no login form), a token endpoint
// that checks the PKCE verifier (RFC 7636) and returns an ES256 identity
// token with the request's nonce, and its key set. Browsers reach it from
// the console's origin, so it answers with CORS headers. With
// namesInUserinfo it acts as ProConnect: no names in the identity token, and
// a userinfo endpoint that answers the access tokens it issued with a signed
// JWT that has them.
type provider struct {
	url, clientID   string
	key             *ecdsa.PrivateKey
	keys            *oidc.DevIssuer // serves the public key as a JWK set
	namesInUserinfo bool
	mu              sync.Mutex
	codes           map[string]grant
	access          map[string]bool // access tokens issued
	issued          int
	scope           string // the last authorization request's
	userinfo        int
}

type grant struct{ challenge, nonce, redirect string }

func newProvider(t *testing.T, clientID string) *provider {
	t.Helper()
	key, err := oidc.LoadOrCreateKey(filepath.Join(t.TempDir(), "idp.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{clientID: clientID, key: key, codes: map[string]grant{}, access: map[string]bool{}}
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

func (p *provider) requestedScope() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.scope
}

func (p *provider) userinfoCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.userinfo
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.url, "authorization_endpoint": p.url + "/authorize", "token_endpoint": p.url + "/token",
			"jwks_uri": p.url + "/jwks", "userinfo_endpoint": p.url + "/userinfo", "response_types_supported": []string{"code"},
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
		p.scope = q.Get("scope")
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
	case "/userinfo":
		p.userInfo(w, r)
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
	claims := map[string]any{
		"iss": p.url, "aud": p.clientID, "sub": "olga", "email": "olga@example.org", "given_name": "Olga",
		"usual_name": "Provider", "nonce": g.nonce, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if p.namesInUserinfo {
		delete(claims, "given_name")
		delete(claims, "usual_name")
	}
	tok, err := signES256(p.key, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	access := rand.Text()
	p.mu.Lock()
	p.issued++
	p.access[access] = true
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id_token": tok, "access_token": access, "token_type": "Bearer", "expires_in": 3600})
}

// userInfo answers as ProConnect does: a JWT signed with the provider's key.
func (p *provider) userInfo(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	ok = ok && p.access[token]
	if ok {
		p.userinfo++
	}
	p.mu.Unlock()
	if !ok {
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
		return
	}
	jwt, err := signES256(p.key, map[string]any{"iss": p.url, "aud": p.clientID, "sub": "olga",
		"given_name": "Olga", "usual_name": "Provider"})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Write([]byte(jwt))
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
