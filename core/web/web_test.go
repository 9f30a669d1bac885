package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/meetline/meetline/core/oidc"
	"github.com/meetline/meetline/core/web"
)

// api stands for the core's API: it answers every request it gets with 418,
// so that a test sees which requests the console let through.
var fakeAPI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusTeapot)
	io.WriteString(w, "api "+r.URL.Path)
})

func newConsole(t *testing.T, cfg web.Config) http.Handler {
	t.Helper()
	h, err := web.New(fakeAPI, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func do(h http.Handler, method, target string, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRoutes(t *testing.T) {
	h := newConsole(t, web.Config{})
	for _, tc := range []struct {
		method, path string
		console      bool
	}{
		{"GET", "/", true},
		{"HEAD", "/", true},
		{"GET", "/weekly-sync", true},
		{"GET", "/weekly-sync/", false},
		{"GET", "/0b9c3f7e-5d2a-4c1e-9f3b-2a6d8e4c1b7a", true},            // a room id
		{"GET", "/recordings/0b9c3f7e-5d2a-4c1e-9f3b-2a6d8e4c1b7a", true}, // the "recording ready" link
		{"GET", "/recordings/not-an-id", false},
		{"GET", "/recordings/0b9c3f7e-5d2a-4c1e-9f3b-2a6d8e4c1b7a/x", false},
		{"GET", "/operator/trunks", true}, // the operators' pages
		{"GET", "/operator/live", true},
		{"GET", "/operator/calls", true},
		{"GET", "/operator/other", false},
		{"GET", "/console/settings", true}, // the person's settings
		{"GET", "/console/settings/x", false},
		{"GET", "/assets/app.js", true},
		{"GET", "/console/config", true},
		{"POST", "/", false},
		{"POST", "/weekly-sync", false},
		{"POST", "/console/dev-token", false}, // no development issuer
		{"GET", "/Weekly-Sync", false},
		{"GET", "/-weekly", false},
		{"GET", "/healthz", false},
		{"GET", "/readyz", false},
		{"GET", "/metrics", false},
		{"GET", "/media-auth", false},
		{"GET", "/favicon.ico", false},
		{"GET", "/dev-issuer/jwks", false},
		{"POST", "/meetline.v1.RoomService/GetRoom", false},
		{"GET", "/meetline.v1.RoomService/GetRoom?message=e30", false},
		{"POST", "/webhooks/livekit", false},
		{"GET", "/" + strings.Repeat("a", 101), false},
	} {
		w := do(h, tc.method, tc.path, "")
		if got := w.Code != http.StatusTeapot; got != tc.console {
			t.Errorf("%s %s: served by the console = %v, want %v (%d %q)", tc.method, tc.path, got, tc.console, w.Code, w.Body.String())
		}
	}
}

func TestPage(t *testing.T) {
	h := newConsole(t, web.Config{})
	w := do(h, "GET", "/some-room", "")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /some-room: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	// Every asset the page names is served.
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(w.Body.String(), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets:\n%s", len(refs), w.Body.String())
	}
	for _, m := range refs {
		if a := do(h, "GET", m[1], ""); a.Code != http.StatusOK || a.Body.Len() == 0 {
			t.Errorf("GET %s: %d, %d bytes", m[1], a.Code, a.Body.Len())
		}
	}
	if w := do(h, "GET", "/assets/nothing.js", ""); w.Code != http.StatusNotFound {
		t.Errorf("GET /assets/nothing.js: %d, want 404", w.Code)
	}
	if w := do(h, "HEAD", "/", ""); w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, %d bytes, Content-Length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

func TestAssetCaching(t *testing.T) {
	h := newConsole(t, web.Config{})
	plain := do(h, "GET", "/assets/app.js", "")
	if ct := plain.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
	etag := plain.Header().Get("ETag")
	if etag == "" || plain.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("app.js: ETag %q, Cache-Control %q", etag, plain.Header().Get("Cache-Control"))
	}
	if w := do(h, "GET", "/assets/app.js", "", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes, want 304 and none", w.Code, w.Body.Len())
	}
	gz := do(h, "GET", "/assets/app.js", "", "Accept-Encoding", "br, gzip;q=0.8")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= plain.Body.Len() {
		t.Fatalf("gzip: Content-Encoding %q, %d bytes (plain %d)", gz.Header().Get("Content-Encoding"), gz.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
		t.Errorf("the gzipped app.js differs from the plain one (%v)", err)
	}
	if w := do(h, "GET", "/assets/app.js", "", "Accept-Encoding", "gzip;q=0"); w.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", w.Header().Get("Content-Encoding"))
	}
}

func config(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	w := do(h, "GET", "/console/config", "")
	var c map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || w.Code != http.StatusOK {
		t.Fatalf("/console/config: %d %q: %v", w.Code, w.Body.String(), err)
	}
	return c
}

func TestSignInModes(t *testing.T) {
	if c := config(t, newConsole(t, web.Config{})); c["signIn"] != "none" {
		t.Errorf("no issuer: %v", c)
	}
	c := config(t, newConsole(t, web.Config{Issuer: "https://idp.example/realms/meet", ClientID: "meetline"}))
	if c["signIn"] != "oidc" || c["issuer"] != "https://idp.example/realms/meet" || c["clientId"] != "meetline" {
		t.Errorf("issuer: %v", c)
	}
	dev := newConsole(t, web.Config{Issuer: "http://core.test/dev-issuer", ClientID: "meetline",
		DevKeyFile: filepath.Join(t.TempDir(), "key.pem")})
	if c := config(t, dev); c["signIn"] != "dev" || c["issuer"] != "" {
		t.Errorf("development issuer: %v", c)
	}
}

func TestDevToken(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	const issuer = "http://core.test/dev-issuer"
	h := newConsole(t, web.Config{Issuer: issuer, ClientID: "meetline", DevKeyFile: keyFile})
	key, err := oidc.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := oidc.NewVerifier(context.Background(), issuer, "meetline", oidc.WithKeySet(oidc.NewDevIssuer(issuer, "meetline", key).KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	w := do(h, "POST", "/console/dev-token", `{"name":" Ada  Lovelace ","email":"Ada@Example.org"}`)
	var out struct{ Token string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("dev-token: %d %q %v", w.Code, w.Body.String(), err)
	}
	claims, err := verifier.Verify(context.Background(), out.Token)
	if err != nil {
		t.Fatalf("the core's verifier refuses the token: %v", err)
	}
	if claims.Sub != "ada@example.org" || claims.Email != "ada@example.org" || claims.FullName != "Ada Lovelace" {
		t.Errorf("claims %+v", claims)
	}
	for _, body := range []string{
		``, `[]`, `{"name":"","email":"a@b.c"}`, `{"name":"Ada","email":"ada"}`, `{"name":"Ada","email":"@b.c"}`,
		`{"name":"Ada","email":"a b@c.d"}`, `{"name":"` + strings.Repeat("x", 101) + `","email":"a@b.c"}`,
		`{"name":"Ada","email":"` + strings.Repeat("x", 5000) + `@b.c"}`,
	} {
		if w := do(h, "POST", "/console/dev-token", body); w.Code != http.StatusBadRequest {
			t.Errorf("dev-token %.60q: %d, want 400", body, w.Code)
		}
	}
}
