package sipgate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestHealthz(t *testing.T) {
	notStarted, err := New("127.0.0.1:0", WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	serving := startServer(t)
	draining := startServer(t)
	draining.Drain()

	tests := []struct {
		name     string
		srv      *Server
		wantCode int
		wantBody string
	}{
		{"before ListenAndServe", notStarted, http.StatusServiceUnavailable, "starting"},
		{"serving", serving.Server, http.StatusOK, "ok"},
		{"draining", draining.Server, http.StatusServiceUnavailable, "draining"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, tt.srv.Handler(), "/healthz")
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("/healthz = %d %q, want %d %q", code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestMetricsCountRequests(t *testing.T) {
	srv := startServer(t)
	client := newClient(t)
	do(t, client, newRequest(t, sip.OPTIONS, srv.Addr(), "udp"))
	do(t, client, withSDP(newRequest(t, sip.INVITE, srv.Addr(), "tcp")))
	do(t, client, newRequest(t, "FROBNICATE", srv.Addr(), "udp"))

	code, body := get(t, srv.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics status %d", code)
	}
	for _, want := range []string{
		`sipgate_sip_requests_total{method="OPTIONS",status="200"} 1`,
		`sipgate_sip_requests_total{method="INVITE",status="503"} 1`, // no core configured
		`sipgate_sip_requests_total{method="OTHER",status="405"} 1`,
		"sipgate_draining 0",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

func TestHandlerRoutes(t *testing.T) {
	h := startServer(t).Handler()
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
		{http.MethodHead, "/healthz", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}

// TestPprofFlag follows SIPGATE_PPROF from the environment to the routes: off (unset, or false), the profiles
// do not exist; on, they do, beside the usual endpoints; a value that is no boolean is refused at start-up.
func TestPprofFlag(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct {
		value string
		want  int
	}{
		{"", http.StatusNotFound},
		{"false", http.StatusNotFound},
		{"true", http.StatusOK},
	} {
		t.Run("SIPGATE_PPROF="+tt.value, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(name string) string {
				switch name {
				case EnvPprof:
					return tt.value
				case EnvCoreURL:
					return "http://127.0.0.1:8080"
				case EnvCoreToken:
					return "token"
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			h := DebugHandler(srv.Handler(), cfg.Pprof)
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1"} {
				if code, _ := get(t, h, path); code != tt.want {
					t.Errorf("GET %s = %d, want %d", path, code, tt.want)
				}
			}
			if code, body := get(t, h, "/healthz"); code != http.StatusOK || body != "ok" {
				t.Errorf("/healthz = %d %q beside pprof, want 200 ok", code, body)
			}
		})
	}
	_, err := ConfigFromEnv(func(name string) string {
		return map[string]string{EnvPprof: "ture", EnvCoreURL: "http://127.0.0.1:8080", EnvCoreToken: "token"}[name]
	})
	if err == nil || !strings.Contains(err.Error(), EnvPprof) {
		t.Errorf("SIPGATE_PPROF=ture: error %v, want one naming the variable", err)
	}
}
