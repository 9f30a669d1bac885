package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/grpcreflect"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/testenv"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestAdminListener: metrics, profiles, reflection and each dependency's
// status are on the admin listener and nowhere on the public one, whose
// /readyz says ready or not and nothing else, even with a dependency down.
func TestAdminListener(t *testing.T) {
	t.Parallel()
	const secret = "dial tcp 10.1.2.3:5432: password authentication failed for user meetline"
	c := testenv.Core(t, testenv.WithApp(func(a *app.App) {
		a.Server.Checks = append(a.Server.Checks, api.Check{Name: "broken",
			Ping: func(context.Context) error { return errors.New(secret) }})
	}))
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1",
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"} {
		if code, body := get(t, c.URL+path); code == http.StatusOK || strings.Contains(body, "go_goroutines") {
			t.Errorf("public %s = %d %.80q, want absent", path, code, body)
		}
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1"} {
		if code, _ := get(t, c.AdminURL+path); code != http.StatusOK {
			t.Errorf("admin %s = %d, want 200", path, code)
		}
	}
	if _, body := get(t, c.AdminURL+"/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Errorf("admin /metrics lacks go_goroutines")
	}

	code, body := get(t, c.URL+"/readyz")
	if code != http.StatusServiceUnavailable || strings.TrimSpace(body) != `{"status":"unavailable"}` {
		t.Errorf("public /readyz = %d %s, want 503 and the verdict alone", code, body)
	}
	code, body = get(t, c.AdminURL+"/readyz")
	var detail struct {
		Status string
		Checks map[string]struct {
			OK    bool
			Error string
		}
	}
	if err := json.Unmarshal([]byte(body), &detail); err != nil || code != http.StatusServiceUnavailable ||
		detail.Checks["broken"].Error != secret || !detail.Checks["postgres"].OK {
		t.Errorf("admin /readyz = %d %s, want 503 naming broken's error", code, body)
	}

	if names, err := listServices(c.AdminURL); err != nil || len(names) == 0 {
		t.Errorf("admin reflection: %v %v", names, err)
	}
	if names, err := listServices(c.URL); err == nil {
		t.Errorf("public reflection answers: %v", names)
	}
}

// listServices asks url's gRPC reflection for the services it serves.
func listServices(url string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream := grpcreflect.NewClient(h2c(), url).NewStream(ctx)
	defer stream.Close()
	names, err := stream.ListServices()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out, err
}

// h2c is an HTTP client that speaks cleartext HTTP/2, as gRPC needs.
func h2c() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}
