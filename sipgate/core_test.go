package sipgate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// The end-to-end fixture: a real core on the test's slice of the local services, one trunk and one room.
const (
	testNumber        = "+33123456789"
	testPIN           = "2468" // distinct digits: sipp's pcaps of one digit repeat SSRC and timestamps
	testSipgateToken  = "sipgate-token-0123456789"
	testOperatorToken = "operator-token-0123456789"
)

// coreFixture is a running core with a trunk (testNumber, fr-fr) and a public room whose PIN is testPIN,
// which lets phone callers in at once.
type coreFixture struct {
	url   string
	api   *api.Server
	db    *postgres.DB
	owner *core.User
	room  *core.Room
}

// startCore serves the core's handler on a loopback port, as core/api's tests do, with the sipgate and
// operator service tokens, then creates the trunk (through the API) and the room (through the store). It
// uses the shared livekit-server.
func startCore(t *testing.T) *coreFixture {
	t.Helper()
	lkcfg, _ := testenv.LiveKit(t)
	var h handlerVar
	hs := httptest.NewServer(&h)
	t.Cleanup(hs.Close)
	return serveCore(t, hs.URL, &h, lkcfg)
}

// handlerVar serves with a handler set after the listener exists, so that a livekit-server of the test's
// own can be told the core's URL before the core is built with that server's configuration.
type handlerVar struct{ h atomic.Pointer[http.Handler] }

func (v *handlerVar) set(h http.Handler) { v.h.Store(&h) }

func (v *handlerVar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := v.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.Error(w, "starting", http.StatusServiceUnavailable)
}

// serveCore builds the core on the test's slice of the services and lkcfg's LiveKit, serves it at url
// through h, and creates the fixture's trunk and room.
func serveCore(t *testing.T, url string, h *handlerVar, lkcfg livekit.Config) *coreFixture {
	t.Helper()
	db := testenv.Postgres(t)
	kv := testenv.Valkey(t)
	lobbyTTLs := core.LobbyTTLs{Waiting: time.Minute, Accepted: time.Hour, Denied: time.Minute}
	srv := &api.Server{
		Users:       postgres.NewUserService(db),
		Rooms:       postgres.NewRoomService(db),
		Accesses:    postgres.NewAccessService(db),
		Trunks:      postgres.NewTrunkService(db),
		PINAttempts: valkey.NewPINAttempts(kv, core.PINPolicy{Source: core.AttemptLimit{Max: 50, Window: time.Minute}, Number: core.AttemptLimit{Max: 100, Window: time.Minute}, Attack: 100}),
		LiveKit:     livekit.New(lkcfg),
		Lobby:       valkey.NewLobbyService(kv, valkey.NewHub(kv, "lobby-events", testenv.Logger(t)), lobbyTTLs),
		Presence:    valkey.NewPresence(kv),
		Limiter:     valkey.NewRateLimiter(kv),
		Dedup:       valkey.NewDeduplicator(kv),
		LobbySettings: api.LobbySettings{TTLs: lobbyTTLs, TicketSecret: []byte("test-ticket-secret"),
			PerParticipant: core.AttemptLimit{Max: 150, Window: time.Minute}, PerAddress: core.AttemptLimit{Max: 10000, Window: time.Minute}},
		Webhooks:  api.WebhookSettings{Keys: auth.NewSimpleKeyProvider(lkcfg.APIKey, lkcfg.APISecret), DedupTTL: time.Hour},
		Telephony: core.TelephonySettings{Enabled: true, DefaultRegion: "FR"},
		ServiceTokens: []api.ServiceToken{
			{Service: api.ServiceSipgate, Token: testSipgateToken},
			{Service: api.ServiceOperator, Token: testOperatorToken},
		},
		Registry: prometheus.NewRegistry(),
		Logger:   testenv.Logger(t),
	}
	h.set(srv.Handler())

	ctx := context.Background()
	trunks := meetlinev1connect.NewTrunkServiceClient(&http.Client{Transport: bearer{token: testOperatorToken, next: http.DefaultTransport}}, url)
	if _, err := trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{testNumber}, PinLength: 4, Language: "fr-fr", Enabled: true,
	}); err != nil {
		t.Fatalf("CreateTrunk: %v", err)
	}
	user, err := postgres.NewUserService(db).SignIn(ctx, core.Claims{Sub: "owner"}, false)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	fx := &coreFixture{url: url, api: srv, db: db, owner: user}
	fx.room = fx.createRoom(t, core.AccessPublic, testPIN, []byte(`{"phone_callers_first":true}`))
	return fx
}

// createRoom creates a room with access level, PIN and configuration (JSON, or nil), owned by the
// fixture's user.
func (fx *coreFixture) createRoom(t *testing.T, level core.AccessLevel, pin string, config []byte) *core.Room {
	t.Helper()
	ctx := context.Background()
	room := &core.Room{Name: testenv.Name("room-"), AccessLevel: level, Configuration: config}
	if err := fx.api.Rooms.CreateRoom(ctx, room, fx.owner.ID); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	if _, err := fx.db.Pool.Exec(ctx, `UPDATE rooms SET pin = $1 WHERE id = $2`, pin, room.ID); err != nil {
		t.Fatalf("setting the room's PIN: %v", err)
	}
	return room
}

// admitted is the metric sample of a call admitted by startGateway's sipgate, which has no LiveKit to hand
// callers to: they hear "service unavailable" and sipgate hangs up. bridge_test.go covers the hand-off.
const admitted = `sipgate_calls_total{outcome="livekit_error"}`

// testCalls is the call policy of the end-to-end tests: short timers, a port range apart from a running
// sipgate's.
var testCalls = CallConfig{
	RTPIP:             netip.MustParseAddr("127.0.0.1"),
	RTPPortMin:        31000,
	RTPPortMax:        31999,
	MaxCalls:          10,
	PINAttempts:       3,
	FirstDigitTimeout: 3 * time.Second,
	InterDigitTimeout: 2 * time.Second,
	MaxIVRTime:        time.Minute,
	NoRTPTimeout:      20 * time.Second,
}

// startGateway runs sipgate against a fresh core fixture.
func startGateway(t *testing.T, cc CallConfig, opts ...Option) *running {
	t.Helper()
	fx := startCore(t)
	core := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 2 * time.Second})
	return startServer(t, append([]Option{WithCore(core), WithCallConfig(cc)}, opts...)...)
}

// metric returns the value of one sample of the server's /metrics, e.g. `sipgate_calls_total{outcome="connected"}`.
func (r *running) metric(t *testing.T, sample string) string {
	t.Helper()
	_, body := get(t, r.Handler(), "/metrics")
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}
