package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPprofFlag follows CORE_PPROF from the environment to the routes, on a
// mux built as serve builds it (the API's handler under "/", which answers
// 404 for paths it does not know): off, /debug/pprof/ does not exist; on, it
// does, and the API still answers beside it.
func TestPprofFlag(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  int
	}{
		{"", http.StatusNotFound},
		{"false", http.StatusNotFound},
		{"true", http.StatusOK},
	} {
		t.Run("CORE_PPROF="+tt.value, func(t *testing.T) {
			cfg, err := load(getenv(minimal, "CORE_PPROF", tt.value))
			if err != nil {
				t.Fatal(err)
			}
			api := http.NewServeMux()
			api.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
			mux := http.NewServeMux()
			mux.Handle("/", api)
			debugRoutes(mux, cfg.Pprof)
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1"} {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != tt.want {
					t.Errorf("GET %s = %d, want %d", path, rec.Code, tt.want)
				}
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("/healthz = %d beside pprof, want 200", rec.Code)
			}
		})
	}
	if _, err := load(getenv(minimal, "CORE_PPROF", "ture")); err == nil {
		t.Error("CORE_PPROF=ture: no error")
	}
}
