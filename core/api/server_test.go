package api_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/oidc"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

// stack is a core API server on the test's own slice of the real services,
// with a development identity issuer for users and service tokens.
type stack struct {
	db     *postgres.DB
	kv     *valkey.Client
	server *api.Server
	// handler is what url serves, for fuzz targets that call it directly:
	// a panic then fails the target instead of being recovered by net/http.
	handler http.Handler
	url     string
	issuer  *oidc.DevIssuer
}

// lobbyTTLs are short so that expiry shows within a test.
var lobbyTTLs = core.LobbyTTLs{Waiting: time.Second, Accepted: time.Hour, Denied: 2 * time.Second}

const (
	storageToken  = "storage-webhook-token-0123"
	sipgateToken  = "sipgate-token-0123456789"
	operatorToken = "operator-token-0123456789"
)

// newStack serves the core's handler over HTTP/1.1 and cleartext HTTP/2, as
// core/cmd/core does, so gRPC clients can reach it.
func newStack(t testing.TB, configure ...func(*api.Server)) *stack {
	t.Helper()
	return newStackOn(t, nil, configure...)
}

// newStackOn is newStack serving on ln (a fresh port when nil), for tests
// that must give its URL to another server before it starts.
func newStackOn(t testing.TB, ln net.Listener, configure ...func(*api.Server)) *stack {
	t.Helper()
	db := testenv.Postgres(t)
	kv := testenv.Valkey(t)
	s3cfg := testenv.StorageConfig(t)
	bucket, err := storage.Open(s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	lkcfg, _ := testenv.LiveKit(t)
	lk := livekit.New(lkcfg)
	key, err := oidc.LoadOrCreateKey(filepath.Join(t.TempDir(), "issuer.pem"))
	if err != nil {
		t.Fatal(err)
	}
	issuer := oidc.NewDevIssuer("http://dev-issuer.test", "meetline", key)
	verifier, err := oidc.NewVerifier(context.Background(), "http://dev-issuer.test", "meetline", oidc.WithKeySet(issuer.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	srv := &api.Server{
		Users:       postgres.NewUserService(db),
		Rooms:       postgres.NewRoomService(db),
		Accesses:    postgres.NewAccessService(db),
		Trunks:      postgres.NewTrunkService(db),
		PINAttempts: valkey.NewPINAttempts(kv, core.AttemptLimit{Max: 3, Window: time.Minute}, core.AttemptLimit{Max: 10, Window: time.Minute}),
		LiveKit:     lk,
		Recordings:  postgres.NewRecordingService(db),
		Bucket:      bucket,
		EgressStorage: livekit.EgressStorage{Endpoint: s3cfg.Endpoint, AccessKey: s3cfg.AccessKey, SecretKey: s3cfg.SecretKey,
			Region: s3cfg.Region, Bucket: s3cfg.Bucket},
		Recorder: api.RecorderSettings{StartTimeout: 3 * time.Second, DownloadTTL: time.Hour, WebhookToken: storageToken},
		Lobby:    valkey.NewLobbyService(kv, valkey.NewHub(kv, "lobby-events", testenv.Logger(t)), lobbyTTLs),
		Presence: valkey.NewPresence(kv),
		Limiter:  valkey.NewRateLimiter(kv),
		Dedup:    valkey.NewDeduplicator(kv),
		LobbySettings: api.LobbySettings{TTLs: lobbyTTLs, TicketSecret: []byte("test-ticket-secret"),
			PerParticipant: core.AttemptLimit{Max: 150, Window: time.Minute}, PerAddress: core.AttemptLimit{Max: 10000, Window: time.Minute}},
		Webhooks:  api.WebhookSettings{Keys: auth.NewSimpleKeyProvider(lkcfg.APIKey, lkcfg.APISecret), DedupTTL: time.Hour},
		Telephony: core.TelephonySettings{Enabled: true, DefaultRegion: "FR"},
		Recording: core.RecordingSettings{Enabled: true, ExpirationDays: 30},
		Verifier:  verifier,
		ServiceTokens: []api.ServiceToken{
			{Service: api.ServiceSipgate, Token: sipgateToken},
			{Service: api.ServiceOperator, Token: operatorToken},
		},
		Checks: []api.Check{
			{Name: "postgres", Ping: db.Ping},
			{Name: "valkey", Ping: kv.Ping},
			{Name: "s3", Ping: bucket.Ping},
			{Name: "livekit", Ping: lk.Ping},
		},
		Registry: prometheus.NewRegistry(),
		Logger:   testenv.Logger(t),
	}
	renderer, err := mail.NewRenderer(mail.Brand{Name: "Meetline", BaseURL: "https://meet.example"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mailer = api.Mailer{Renderer: renderer, Enqueue: postgres.NewOutbox(db).Enqueue, Notify: func() {},
		RoomURL: "https://meet.example", PerInviter: core.AttemptLimit{Max: 5, Window: time.Hour}}
	for _, f := range configure {
		f(srv)
	}
	h := srv.Handler()
	return &stack{db: db, kv: kv, server: srv, handler: h, url: serveOn(t, ln, h), issuer: issuer}
}

// token signs an identity token for sub, as the identity provider would.
func (s *stack) token(t testing.TB, sub string) string {
	t.Helper()
	tok, err := s.issuer.Sign(oidc.DevClaims{Sub: sub, Email: sub + "@example.org", GivenName: "Given " + sub, UsualName: "Usual"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// as returns an HTTP client that sends token as a bearer token ("" sends none).
func as(token string) *http.Client {
	return &http.Client{Transport: bearer{token: token, next: transport}}
}

// transport keeps enough idle connections for the concurrent benchmarks;
// http.DefaultTransport keeps two per host and would measure TCP handshakes.
var transport = &http.Transport{MaxIdleConnsPerHost: 64}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

// serve starts h on a loopback port, speaking HTTP/1.1 and cleartext HTTP/2.
func serveOn(t testing.TB, ln net.Listener, h http.Handler) string {
	t.Helper()
	hs := httptest.NewUnstartedServer(h)
	if ln != nil {
		hs.Listener.Close()
		hs.Listener = ln
	}
	hs.Config.Protocols = new(http.Protocols)
	hs.Config.Protocols.SetHTTP1(true)
	hs.Config.Protocols.SetUnencryptedHTTP2(true)
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.URL
}

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
