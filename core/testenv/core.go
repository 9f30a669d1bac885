package testenv

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/oidc"
)

// The service tokens of every test core, and its storage webhook token.
const (
	SipgateToken  = "sipgate-token-0123456789abcdef0123456789"
	OperatorToken = "operator-token-0123456789abcdef0123456789"
	StorageToken  = "storage-webhook-token-0123456789abcdef0123"
)

// CoreServer is a core built by core/app, as its main builds it, on the
// test's own slices of the services, serving at URL.
type CoreServer struct {
	*app.App
	URL  string
	HTTP http.Handler // what URL serves, for tests (fuzz targets) that call it directly
	// AdminURL serves App.AdminHandler: metrics, detailed readiness,
	// reflection and profiles.
	AdminURL string
}

// CoreOption adjusts a test core.
type CoreOption func(*coreOptions)

type coreOptions struct {
	configs []func(*app.Config)
	apps    []func(*app.App)
	ln      net.Listener
	late    *Handler
	url     string
}

// WithConfig changes the core's configuration before it is built.
func WithConfig(f func(*app.Config)) CoreOption {
	return func(o *coreOptions) { o.configs = append(o.configs, f) }
}

// WithLiveKit makes the core use the livekit-server of cfg (one of the
// test's own) instead of the shared one: its API, keys and webhook keys.
func WithLiveKit(cfg livekit.Config) CoreOption {
	return WithConfig(func(c *app.Config) {
		c.LiveKitURL, c.LiveKitAPIKey, c.LiveKitAPISecret = cfg.URL, cfg.APIKey, cfg.APISecret
	})
}

// WithApp changes the core after it is built and before it serves, for what
// configuration cannot say (a failing check, a stand-in for LiveKit egress).
func WithApp(f func(*app.App)) CoreOption {
	return func(o *coreOptions) { o.apps = append(o.apps, f) }
}

// WithListener serves the core on ln, whose address the test already gave
// to another server.
func WithListener(ln net.Listener) CoreOption {
	return func(o *coreOptions) { o.ln = ln }
}

// WithHandler serves the core through h, whose server the test started at
// url.
func WithHandler(h *Handler, url string) CoreOption {
	return func(o *coreOptions) { o.late, o.url = h, url }
}

// Core builds a core with app.New and serves it until the test ends. It uses
// the test's own database, Valkey prefix and bucket, the shared
// livekit-server, the service tokens above, and the development issuer
// (Token signs users in). Its settings are production's defaults; tests
// that depend on a limit or a TTL say so with WithConfig.
func Core(t testing.TB, opts ...CoreOption) *CoreServer {
	t.Helper()
	var o coreOptions
	for _, f := range opts {
		f(&o)
	}
	h, url, stop := o.late, o.url, func() {}
	if h == nil {
		h = new(Handler)
		hs := serve(t, o.ln, h)
		url, stop = hs.URL, hs.Close
	}
	s3 := StorageConfig(t)
	lk, _ := LiveKit(t)
	vars := map[string]string{
		"CORE_PUBLIC_URL":          url,
		"CORE_MIGRATE_ON_START":    "false", // the database is a clone of a migrated template
		"CORE_DEV_ISSUER":          "true",
		"CORE_DEV_ISSUER_KEY_FILE": filepath.Join(t.TempDir(), "dev-issuer.pem"),
		"DATABASE_URL":             DatabaseURL(t),
		"VALKEY_ADDR":              Getenv(t, "VALKEY_ADDR"),
		"VALKEY_PREFIX":            Name("test:") + ":",
		"S3_ENDPOINT":              s3.Endpoint,
		"S3_ACCESS_KEY":            s3.AccessKey,
		"S3_SECRET_KEY":            s3.SecretKey,
		"S3_REGION":                s3.Region,
		"S3_BUCKET":                s3.Bucket,
		"LIVEKIT_URL":              lk.URL,
		"LIVEKIT_API_KEY":          lk.APIKey,
		"LIVEKIT_API_SECRET":       lk.APISecret,
		"SERVICE_TOKENS":           "sipgate:" + SipgateToken + ",operator:" + OperatorToken,
		"STORAGE_WEBHOOK_TOKEN":    StorageToken,
		"LOBBY_TICKET_SECRET":      "test-ticket-secret-0123456789abcdef0123",
	}
	cfg, _, err := app.LoadConfig(func(name string) string { return vars[name] })
	if err != nil {
		t.Fatalf("testenv: core configuration: %v", err)
	}
	for _, f := range o.configs {
		f(&cfg)
	}
	a, err := app.New(context.Background(), cfg, Logger(t))
	if err != nil {
		t.Fatalf("testenv: core: %v", err)
	}
	t.Cleanup(a.Close)
	t.Cleanup(func() { deletePrefix(a.KV) })
	t.Cleanup(stop) // requests end before the connections close
	for _, f := range o.apps {
		f(a)
	}
	handler, err := a.Handler()
	if err != nil {
		t.Fatalf("testenv: core handler: %v", err)
	}
	h.Set(handler)
	admin := serve(t, nil, a.AdminHandler())
	return &CoreServer{App: a, URL: url, HTTP: handler, AdminURL: admin.URL}
}

// Token signs an identity token for sub with the core's development issuer,
// as an identity provider would.
func (c *CoreServer) Token(t testing.TB, sub string) string {
	t.Helper()
	if c.Issuer == nil {
		t.Fatal("testenv: Token needs the core's development issuer, which this test turned off")
	}
	tok, err := c.Issuer.Sign(oidc.DevClaims{Sub: sub, Email: sub + "@example.org", GivenName: "Given " + sub, UsualName: "Usual"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
