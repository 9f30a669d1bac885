package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
)

// TestNginxMediaAuth runs Debian's nginx with the auth_request configuration
// shipped in deploy/nginx and downloads a recording from versitygw through it.
func TestNginxMediaAuth(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	saved := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingSaved)
	active := s.seedRecording(t, f.room.Id, core.ModeScreenRecording, core.RecordingActive)
	content := []byte("fake mp4 bytes through nginx")
	for _, key := range []string{saved.Key(), active.Key()} {
		if _, err := s.bucket.Client.PutObject(ctx, s.bucket.Name, key, bytes.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	tmpl, err := os.ReadFile("../../deploy/nginx/media-auth.conf")
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := url.Parse(s.core.Config.EgressS3Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	conf := os.Expand(string(tmpl), func(name string) string {
		switch name {
		case "CORE_URL":
			return s.url
		case "S3_ENDPOINT":
			return strings.TrimRight(s.core.Config.EgressS3Endpoint, "/")
		case "S3_BUCKET":
			return s.bucket.Name
		case "S3_HOST":
			return endpoint.Host
		}
		return "$" + name // an nginx variable: leave it to nginx
	})
	base := testenv.Nginx(t, conf)

	get := func(path, token string, header ...string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, body
	}
	tok := func(p string) string { return s.token(t, t.Name()+"-"+p) }

	if code, body := get("/media/"+saved.Key(), tok(owner)); code != 200 || !bytes.Equal(body, content) {
		t.Errorf("owner: %d %q, want 200 %q", code, body, content)
	}
	if code, body := get("/media/"+saved.Key(), tok(admin)); code != 200 || !bytes.Equal(body, content) {
		t.Errorf("administrator: %d %q, want 200 %q", code, body, content)
	}
	// Browsers seek in videos with ranges; the range is not part of the signature.
	if code, body := get("/media/"+saved.Key(), tok(owner), "Range", "bytes=0-3"); code != 206 || string(body) != "fake" {
		t.Errorf("owner, range: %d %q, want 206 \"fake\"", code, body)
	}
	// A query string is dropped on the way to the bucket (the core signed none).
	if code, body := get("/media/"+saved.Key()+"?versionId=x", tok(owner)); code != 200 || !bytes.Equal(body, content) {
		t.Errorf("owner, query: %d %q, want 200", code, body)
	}
	for _, tt := range []struct {
		name, path, token string
		status            int
	}{
		{"stranger", "/media/" + saved.Key(), tok(stranger), 403},
		{"member", "/media/" + saved.Key(), tok(member), 403},
		{"no token", "/media/" + saved.Key(), "", 401},
		{"bad token", "/media/" + saved.Key(), "not-a-token", 401},
		{"not saved", "/media/" + active.Key(), tok(owner), 403},
	} {
		if code, body := get(tt.path, tt.token); code != tt.status || bytes.Contains(body, content) {
			t.Errorf("%s: %d %q, want %d", tt.name, code, body, tt.status)
		}
	}
	// /media-auth is internal to nginx.
	if code, _ := get("/media-auth", tok(owner)); code != 404 {
		t.Errorf("GET /media-auth through nginx: %d, want 404", code)
	}
}
