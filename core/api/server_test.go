package api_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

// stack is a core built by testenv.Core (core/app, as main builds it) on the
// test's own slice of the real services.
type stack struct {
	core   *testenv.CoreServer
	db     *postgres.DB
	kv     *valkey.Client
	server *api.Server
	// handler is what url serves, for fuzz targets that call it directly: a panic then fails the target
	// instead of being recovered by net/http.
	handler http.Handler
	url     string
	admin   string          // the admin listener: metrics, detailed readiness, reflection
	bucket  *storage.Bucket // the API's bucket, for what tests put in it
	lk      *livekit.Client // the shared livekit-server, for rooms tests open
}

// testPINPolicy allows 3 failures per source and 10 per number a minute;
// tarpits are short.
var testPINPolicy = core.PINPolicy{
	Source: core.AttemptLimit{Max: 3, Window: time.Minute}, Number: core.AttemptLimit{Max: 10, Window: time.Minute},
	Attack: 10, TarpitStep: 100 * time.Millisecond, TarpitMax: time.Second,
}

// lobbyTTLs are short so that expiry shows within a test.
var lobbyTTLs = core.LobbyTTLs{Waiting: time.Second, Accepted: time.Hour, Denied: 2 * time.Second}

const (
	storageToken  = testenv.StorageToken
	sipgateToken  = testenv.SipgateToken
	operatorToken = testenv.OperatorToken
)

// ruleSettings are the limits and TTLs the API's rule tests count on: short
// lobby TTLs, a lockout after three wrong PINs, five invitations an hour,
// recordings that expire after 30 days, links to meet.example.
func ruleSettings(c *app.Config) {
	c.LobbyTTLs = lobbyTTLs
	c.PIN = testPINPolicy
	c.LobbyPerAddress.Max = 10000 // every test's requests come from loopback
	c.LobbyStreams.PerAddress = 10000
	c.InvitationsPerHour = 5
	c.RecordingExpirationDays = 30
	c.RecordingStartTimeout = 3 * time.Second
	c.MailBrand.BaseURL = "https://meet.example"
}

// newStack builds and serves a core with ruleSettings; configure adjusts its
// API server before it serves.
func newStack(t testing.TB, configure ...func(*api.Server)) *stack {
	t.Helper()
	return newStackOn(t, nil, configure...)
}

// newStackOn is newStack serving on ln (a fresh port when nil), for tests
// that must give its URL to another server before it starts.
func newStackOn(t testing.TB, ln net.Listener, configure ...func(*api.Server)) *stack {
	t.Helper()
	opts := []testenv.CoreOption{testenv.WithConfig(ruleSettings), testenv.WithListener(ln)}
	for _, f := range configure {
		opts = append(opts, testenv.WithApp(func(a *app.App) { f(a.Server) }))
	}
	return stackOf(testenv.Core(t, opts...))
}

// newStackWithLiveKit serves a core whose livekit-server is the test's own,
// which posts its signed webhooks to that core.
func newStackWithLiveKit(t testing.TB) *stack {
	t.Helper()
	ln := testenv.Listen(t)
	lkcfg := testenv.LiveKitServer(t, "http://"+ln.Addr().String()+"/webhooks/livekit")
	return stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings), testenv.WithListener(ln), testenv.WithLiveKit(lkcfg)))
}

func stackOf(c *testenv.CoreServer) *stack {
	return &stack{core: c, db: c.DB, kv: c.KV, server: c.Server, handler: c.HTTP, url: c.URL, admin: c.AdminURL, bucket: c.Bucket, lk: c.LiveKit}
}

// token signs an identity token for sub, as the identity provider would.
func (s *stack) token(t testing.TB, sub string) string {
	t.Helper()
	return s.core.Token(t, sub)
}

// as returns an HTTP client that sends token as a bearer token ("" sends none).
func as(token string) *http.Client { return testenv.Client(token) }

// h2c is an HTTP client that speaks cleartext HTTP/2, as gRPC needs.
func h2c() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

func (s *stack) addTrunk(t testing.TB, name, lang string, enabled bool, numbers ...string) {
	t.Helper()
	ctx := context.Background()
	var id string
	if err := s.db.Pool.QueryRow(ctx, `INSERT INTO trunks (name, language, enabled) VALUES ($1, $2, $3) RETURNING id`,
		name, lang, enabled).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers {
		if _, err := s.db.Pool.Exec(ctx, `INSERT INTO trunk_numbers (e164, trunk_id, position) VALUES ($1, $2, $3)`, n, id, i); err != nil {
			t.Fatal(err)
		}
	}
}
