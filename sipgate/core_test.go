package sipgate

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// The end-to-end fixture: a real core on the test's slice of the local services, one trunk and one room.
const (
	testNumber        = "+33123456789"
	testPIN           = "2468" // distinct digits: sipp's pcaps of one digit repeat SSRC and timestamps
	testSipgateToken  = testenv.SipgateToken
	testOperatorToken = testenv.OperatorToken
)

// CoreClient is what the tests need of the core's client: the calls and the call records' sink.
type CoreClient interface {
	Core
	RecordSink
}

// NewCoreClient is package corerpc's client: corerpc_test.go, in the external test package (corerpc imports
// this one, so this package's own test files cannot), sets it before any test runs.
var NewCoreClient func(CoreConfig) CoreClient

// coreFixture is a running core with a trunk (testNumber, fr-fr) and a public room whose PIN is testPIN,
// which lets phone callers in at once.
type coreFixture struct {
	url   string
	srv   *testenv.CoreServer
	api   *api.Server
	db    *postgres.DB
	owner *core.User
	room  *core.Room
}

// startCore serves a core built by testenv.Core on the shared livekit-server, then creates the trunk
// (through the API) and the room (through the store).
func startCore(t testing.TB) *coreFixture {
	t.Helper()
	return newCoreFixture(t, testenv.Core(t, testenv.WithConfig(gatewaySettings)))
}

// handlerVar serves with a handler set after the listener exists (bridge_test.go starts a livekit-server of
// its own that must know the core's URL first).
type handlerVar = testenv.Handler

// serveCore builds the core with lkcfg's LiveKit, serves it at url through h, and creates the fixture's
// trunk and room. Carriers on loopback may take REFER hand-offs.
func serveCore(t testing.TB, url string, h *handlerVar, lkcfg livekit.Config) *coreFixture {
	t.Helper()
	referCarriers := func(c *app.Config) { c.LiveKitReferAddresses = []string{"127.0.0.1"} }
	return newCoreFixture(t, testenv.Core(t, testenv.WithHandler(h, url), testenv.WithConfig(gatewaySettings),
		testenv.WithLiveKit(lkcfg), testenv.WithConfig(referCarriers)))
}

// gatewaySettings let the tests' callers fail their PIN many times without a lockout, and wait in the lobby
// longer than a test takes.
func gatewaySettings(c *app.Config) {
	c.PIN.Source = core.AttemptLimit{Max: 50, Window: time.Minute}
	c.PIN.Number = core.AttemptLimit{Max: 100, Window: time.Minute}
	c.LobbyTTLs = core.LobbyTTLs{Waiting: time.Minute, Accepted: time.Hour, Denied: time.Minute}
	c.LobbyPerAddress.Max = 10000
}

func newCoreFixture(t testing.TB, c *testenv.CoreServer) *coreFixture {
	t.Helper()
	ctx := context.Background()
	trunks := meetlinev1connect.NewTrunkServiceClient(testenv.Client(testOperatorToken), c.URL)
	if _, err := trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{testNumber}, PinLength: 4, Language: "fr-fr", Enabled: true,
	}); err != nil {
		t.Fatalf("CreateTrunk: %v", err)
	}
	user, err := c.Server.Users.SignIn(ctx, core.Claims{Sub: "owner"}, false)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	fx := &coreFixture{url: c.URL, srv: c, api: c.Server, db: c.DB, owner: user}
	fx.room = fx.createRoom(t, core.AccessPublic, testPIN, []byte(`{"phone_callers_first":true}`))
	return fx
}

// createRoom creates a room with access level, PIN and configuration (JSON, or nil), owned by the
// fixture's user.
func (fx *coreFixture) createRoom(t testing.TB, level core.AccessLevel, pin string, config []byte) *core.Room {
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
func startGateway(t testing.TB, cc CallConfig, opts ...Option) *running {
	t.Helper()
	fx := startCore(t)
	core := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 2 * time.Second})
	recs := shipRecords(t, t.TempDir(), core)
	r := startServer(t, append([]Option{WithCore(core), WithCallConfig(cc), WithRecords(recs)}, opts...)...)
	r.fx, r.recs = fx, recs
	return r
}

// metric returns the value of one sample of the server's /metrics, e.g. `sipgate_calls_total{outcome="connected"}`.
func (r *running) metric(t testing.TB, sample string) string {
	t.Helper()
	_, body := get(t, r.Handler(), "/metrics")
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}
