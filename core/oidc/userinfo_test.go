package oidc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUserInfo: names come from the userinfo endpoint, as JSON or as a JWT
// signed with the provider's key (ProConnect); an answer about another
// subject, a bad signature, a refused token or a provider without the
// endpoint give nothing.
func TestUserInfo(t *testing.T) {
	ti := newTestIssuer(t)
	other := newTestIssuer(t) // signs with another key
	var answer func(w http.ResponseWriter)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": ti.url + "/jwks",
			"userinfo_endpoint": srv.URL + "/userinfo", "id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good-access-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		answer(w)
	})
	v, err := NewVerifier(t.Context(), srv.URL, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	jwtOf := func(is *testIssuer, claims map[string]any) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/jwt")
			w.Write([]byte(is.mustSignRaw(t, claims)))
		}
	}
	names := map[string]any{"sub": "olga", "given_name": "Olga", "usual_name": "Provider", "locale": "fr-FR", "zoneinfo": "Europe/Paris"}
	for _, tt := range []struct {
		name, token string
		answer      func(w http.ResponseWriter)
		want        string // full name; "" for an error
	}{
		{"JSON", "good-access-token", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(names)
		}, "Olga Provider"},
		{"signed JWT", "good-access-token", jwtOf(ti, names), "Olga Provider"},
		{"another subject", "good-access-token", jwtOf(ti, map[string]any{"sub": "mallory", "given_name": "Olga"}), ""},
		{"another key", "good-access-token", jwtOf(other, names), ""},
		{"refused token", "stolen", jwtOf(ti, names), ""},
		{"no token", "", jwtOf(ti, names), ""},
	} {
		answer = tt.answer
		c, err := v.UserInfo(t.Context(), "olga", tt.token)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: %+v, want an error", tt.name, c)
		case tt.want != "" && (err != nil || c.FullName != tt.want || c.ShortName != "Olga" || c.TimeZone != "Europe/Paris" ||
			!strings.HasPrefix(c.Language, "fr")):
			t.Errorf("%s: %+v, %v", tt.name, c, err)
		}
	}
	if _, err := ti.staticVerifier(t).UserInfo(t.Context(), "olga", "good-access-token"); err == nil {
		t.Error("a verifier without discovery asked a userinfo endpoint")
	}
}
