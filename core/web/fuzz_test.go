package web_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meetline/meetline/core/web"
)

// FuzzConsole sends arbitrary methods, paths, and the headers the console
// reads to its routes, with the development issuer on (the widest surface):
// the console answers or hands the request to the API (fakeAPI's 418),
// never panics, and never fails with a 5xx of its own.
func FuzzConsole(f *testing.F) {
	h, err := web.New(fakeAPI, web.Config{Issuer: "http://127.0.0.1:1/dev-issuer", ClientID: "meetline",
		DevKeyFile: filepath.Join(f.TempDir(), "issuer.pem")})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ method, path, header, body string }{
		{"GET", "/", "gzip", ""},
		{"HEAD", "/weekly-sync", `"abc", W/"x"`, ""},
		{"GET", "/assets/app.js", "gzip;q=0", ""},
		{"GET", "/assets/../index.html", "", ""},
		{"GET", "/console/config", "", ""},
		{"POST", "/console/dev-token", "", `{"name":"Ada Lovelace","email":"ada@example.org"}`},
		{"POST", "/console/dev-token", "", `{"name":"` + strings.Repeat("é", 101) + `","email":"a@b"}`},
		{"POST", "/console/dev-token", "", `{"name":"\xff","email":"a@b"}`},
		{"POST", "/console/dev-token", "", `[`},
		{"GET", "/%zz", "", ""},
		{"GET", "/" + strings.Repeat("a", 101), "", ""},
	} {
		f.Add(seed.method, seed.path, seed.header, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, header, body string) {
		r, err := http.NewRequest(method, "http://core.test/", strings.NewReader(body))
		if err != nil {
			return // not a method net/http would have parsed
		}
		r.URL.Path, r.RequestURI = path, path
		for _, name := range []string{"Accept-Encoding", "If-None-Match"} {
			r.Header[name] = []string{header}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: status %d (%s)", method, path, w.Code, w.Body)
		}
	})
}
