package oidc

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestDevIssuerServes(t *testing.T) {
	ti := newTestIssuer(t)
	get := func(t *testing.T, method, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, ti.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ti.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}

	t.Run("discovery document", func(t *testing.T) {
		res, body := get(t, http.MethodGet, "/.well-known/openid-configuration")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var doc struct {
			Issuer        string   `json:"issuer"`
			JWKSURI       string   `json:"jwks_uri"`
			Algs          []string `json:"id_token_signing_alg_values_supported"`
			ResponseTypes []string `json:"response_types_supported"`
			SubjectTypes  []string `json:"subject_types_supported"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Issuer != ti.url || doc.JWKSURI != ti.url+"/jwks" || len(doc.Algs) != 1 || doc.Algs[0] != "ES256" ||
			len(doc.ResponseTypes) == 0 || len(doc.SubjectTypes) == 0 {
			t.Errorf("discovery document %s", body)
		}
	})

	t.Run("key set names the kid tokens carry", func(t *testing.T) {
		res, body := get(t, http.MethodGet, "/jwks")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(body, &set); err != nil {
			t.Fatal(err)
		}
		if len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].Algorithm != "ES256" || set.Keys[0].Use != "sig" {
			t.Fatalf("key set %s", body)
		}
		tok := ti.mustSign(t, DevClaims{Sub: "alice"})
		header, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if err != nil {
			t.Fatal(err)
		}
		var h struct{ Alg, Kid, Typ string }
		if err := json.Unmarshal(header, &h); err != nil {
			t.Fatal(err)
		}
		if h.Alg != "ES256" || h.Typ != "JWT" || h.Kid != set.Keys[0].KeyID {
			t.Errorf("header %s, key id %q", header, set.Keys[0].KeyID)
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		if res, body := get(t, http.MethodHead, "/jwks"); res.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("status %d, %d bytes", res.StatusCode, len(body))
		}
	})
	t.Run("POST", func(t *testing.T) {
		if res, _ := get(t, http.MethodPost, "/jwks"); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") == "" {
			t.Errorf("status %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		if res, _ := get(t, http.MethodGet, "/authorize"); res.StatusCode != http.StatusNotFound {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

func TestDevIssuerMountedWithTrailingSlash(t *testing.T) {
	// http.StripPrefix("/dev-issuer/", …) leaves paths without their leading slash.
	dev := NewDevIssuer("http://example.org/dev-issuer", testAudience, newKey(t))
	h := http.StripPrefix("/dev-issuer/", dev)
	for _, p := range []string{"/dev-issuer/jwks", "/dev-issuer/.well-known/openid-configuration"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", p, rec.Code)
		}
	}
}

func TestDevIssuerSignRefuses(t *testing.T) {
	dev := NewDevIssuer("http://example.org/dev-issuer", testAudience, newKey(t))
	for _, tt := range []struct {
		name string
		c    DevClaims
		ttl  time.Duration
	}{
		{"no subject", DevClaims{Email: "alice@example.org"}, time.Hour},
		{"zero lifetime", DevClaims{Sub: "alice"}, 0},
		{"negative lifetime", DevClaims{Sub: "alice"}, -time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := dev.Sign(tt.c, tt.ttl); err == nil {
				t.Errorf("Sign = %q, want an error", tok)
			}
		})
	}
}

func TestDevIssuerTokenLifetime(t *testing.T) {
	ti := newTestIssuer(t)
	v := ti.staticVerifier(t)
	tok, err := ti.Sign(DevClaims{Sub: "alice"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Iat, Nbf, Exp int64 }
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iat == 0 || c.Nbf != c.Iat || c.Exp != c.Iat+1 {
		t.Errorf("times in %s", payload)
	}
}
