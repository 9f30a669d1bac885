// Package app composes the core: it opens every adapter its Config names,
// builds the API server over them and the HTTP handler in front of it.
// core/cmd/core's main and every test stack (core/testenv.Core) build the
// core here and nowhere else, so the core a test runs is the core production
// runs (WTF Dial's Main, shared by its main and its tests).
package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/oidc"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/valkey"
	"github.com/meetline/meetline/core/web"
)

// App is the core, composed. Its adapters are exported for the main's other
// commands and for tests, which reach the services behind the API with them.
// Between New and Handler, Server may still be adjusted (tests do).
type App struct {
	Config  Config
	Log     *slog.Logger
	DB      *postgres.DB
	KV      *valkey.Client
	Bucket  *storage.Bucket
	LiveKit *livekit.Client
	// Issuer is the development identity issuer, with CORE_DEV_ISSUER only.
	Issuer *oidc.DevIssuer
	Server *api.Server

	mux       *http.ServeMux
	worker    *mail.Worker
	purger    *mailPurger
	transfers *livekit.TransferRoutes // nil when REFER is off
	closers   []func()
}

// New opens every dependency of cfg (migrating the database first when
// cfg.MigrateOnStart) and builds the API server over them. It starts
// nothing: Start runs the background work, Handler serves. On error, what
// was opened is closed.
func New(ctx context.Context, cfg Config, log *slog.Logger) (_ *App, err error) {
	a := &App{Config: cfg, Log: log, mux: http.NewServeMux()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := a.open(ctx); err != nil {
		return nil, err
	}
	if err := a.build(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// open connects the adapters: Postgres, Valkey, the bucket and LiveKit.
func (a *App) open(ctx context.Context) error {
	cfg := a.Config
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	a.DB = db
	a.closers = append(a.closers, db.Close)
	if cfg.MigrateOnStart {
		if err := db.Migrate(ctx, a.Log); err != nil {
			return err
		}
	}
	var vopts []valkey.Option
	if cfg.ValkeyPassword != "" {
		vopts = append(vopts, valkey.WithPassword(cfg.ValkeyUser, cfg.ValkeyPassword))
	}
	if a.KV, err = valkey.Open(ctx, cfg.ValkeyAddr, cfg.ValkeyPrefix, vopts...); err != nil {
		return err
	}
	a.closers = append(a.closers, a.KV.Close)
	a.Bucket, err = storage.Open(storage.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, Bucket: cfg.S3Bucket})
	if err != nil {
		return err
	}
	a.LiveKit = livekit.New(cfg.LiveKit())
	return nil
}

// build makes the API server: every field of api.Server, from the adapters
// and the configuration.
func (a *App) build(ctx context.Context) error {
	cfg, db, kv, log := a.Config, a.DB, a.KV, a.Log
	services, err := api.ParseServiceTokens(cfg.ServiceTokens)
	if err != nil {
		return fmt.Errorf("SERVICE_TOKENS: %w", err)
	}
	verifier, issuer, err := identity(ctx, cfg, a.mux, log)
	if err != nil {
		return err
	}
	a.Issuer = issuer
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.purger = newMailPurger(a, reg)
	mailer, err := a.mail(reg)
	if err != nil {
		return err
	}
	a.Server = &api.Server{
		Users: postgres.NewUserService(db),
		Rooms: postgres.NewRoomService(db, postgres.WithPINRetries(cfg.PINRetries),
			postgres.WithMetrics(reg), postgres.WithLogger(log), postgres.WithTelephony(cfg.TelephonyEnabled)),
		Accesses:      postgres.NewAccessService(db),
		Trunks:        postgres.NewTrunkService(db),
		PINAttempts:   valkey.NewPINAttempts(kv, cfg.PIN),
		Lobby:         valkey.NewLobbyService(kv, valkey.NewHub(kv, "lobby-events", log), cfg.LobbyTTLs),
		Presence:      valkey.NewPresence(kv),
		CallWatch:     valkey.NewCallWatch(kv, valkey.NewHub(kv, "call-actions", log)),
		Limiter:       valkey.NewRateLimiter(kv),
		Streams:       valkey.NewStreamSlots(kv, 30*time.Second),
		Dedup:         valkey.NewDeduplicator(kv),
		RoomCallbacks: valkey.NewRoomCallbacks(kv),
		LobbySettings: api.LobbySettings{TTLs: cfg.LobbyTTLs, TicketSecret: ticketSecret(cfg, log), TicketTTL: cfg.LobbyTicketTTL,
			PerParticipant: cfg.LobbyPerParticipant, PerAddress: cfg.LobbyPerAddress, MaxWaiting: cfg.LobbyMaxWaiting,
			StreamsPerTicket: cfg.LobbyStreams.PerTicket, StreamsPerUser: cfg.LobbyStreams.PerUser,
			StreamsPerAddress: cfg.LobbyStreams.PerAddress},
		TrustedProxies: cfg.TrustedProxies,
		RoomLimits: api.RoomLimits{CreatePerUser: core.AttemptLimit{Max: cfg.RoomsPerHour, Window: time.Hour},
			RegeneratePINPerUser: core.AttemptLimit{Max: cfg.PINRegenerationsPerHour, Window: time.Hour},
			DefaultAccessLevel:   cfg.RoomDefaultAccessLevel},
		Webhooks: api.WebhookSettings{Keys: auth.NewSimpleKeyProvider(cfg.LiveKitAPIKey, cfg.LiveKitAPISecret),
			RoomFilter: cfg.WebhookRoomFilter, DedupTTL: 24 * time.Hour},
		LiveKit:         a.LiveKit,
		Verifier:        verifier,
		ServiceTokens:   services,
		MatchEmail:      cfg.OIDCMatchEmail,
		MarketingSignUp: cfg.MarketingProvider != "",
		Telephony:       core.TelephonySettings{Enabled: cfg.TelephonyEnabled, DefaultRegion: cfg.TelephonyDefaultRegion},
		Recording: core.RecordingSettings{Enabled: cfg.RecordingEnabled,
			TranscriptionEnabled: cfg.RecordingTranscriptionEnabled, ExpirationDays: cfg.RecordingExpirationDays},
		Checks: []api.Check{
			{Name: "postgres", Ping: db.Ping},
			{Name: "valkey", Ping: kv.Ping},
			{Name: "s3", Ping: a.Bucket.Ping},
			{Name: "livekit", Ping: a.LiveKit.Ping},
		},
		Recordings:         postgres.NewRecordingService(db),
		CallRecords:        postgres.NewCallRecordService(db),
		CallRecordSettings: cfg.CallRecords,
		Bucket:             a.Bucket,
		Recorder: api.RecorderSettings{StartTimeout: cfg.RecordingStartTimeout, DownloadTTL: cfg.RecordingDownloadTTL,
			WebhookToken: cfg.StorageWebhookToken},
		Mailer: mailer,
		Summary: api.SummarySettings{URL: cfg.SummaryURL, CallbackToken: cfg.SummaryCallbackTok,
			CallbackURL: strings.TrimRight(cfg.PublicURL, "/") + "/webhooks/summary", DownloadTTL: 24 * time.Hour},
		Registry: reg,
		Logger:   log,
	}
	if addrs := cfg.LiveKitReferAddresses; len(addrs) > 0 {
		a.transfers = livekit.NewTransferRoutes(a.LiveKit, cfg.LiveKitSIP.TrunkName+"-transfer", addrs, cfg.LiveKitTransferTTL)
		a.Server.Transfers = a.transfers
	}
	return nil
}

// Handler returns the core's public HTTP handler: the development issuer
// when on, the console for its paths, and the API behind it, every
// request's body bounded in size (limitBodies); RPCs go straight to the API
// (rpcFirst). Call it once, after any change to Server, and before
// AdminHandler.
func (a *App) Handler() (http.Handler, error) {
	console := web.Config{Issuer: a.Config.OIDCIssuerURL, ClientID: a.Config.OIDCAudience, Scopes: a.Config.OIDCScopes}
	if a.Issuer != nil && a.Config.OIDCIssuerURL == a.Config.DevIssuerURL() { // the console signs people in as that issuer
		console.DevKeyFile = a.Config.DevIssuerKeyFile
	}
	rpc := a.Server.Handler()
	h, err := web.New(rpc, console)
	if err != nil {
		return nil, err
	}
	a.mux.Handle("/", h)
	return limitBodies(rpcFirst{rpc: rpc, rest: a.mux}), nil
}

// AdminHandler returns the operators' handler, served on CORE_ADMIN_ADDR
// only: the API's admin endpoints (metrics, detailed readiness, reflection)
// and Go's profiles under /debug/pprof/.
func (a *App) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", a.Server.AdminHandler())
	debugRoutes(mux)
	return limitBodies(mux)
}

// Start runs the core's background work until ctx ends: the outbox worker
// (with SMTP_HOST), the periodic reconciliation of presence with LiveKit, the
// expiry of recordings, the upkeep of call records and the purge of sent mail.
func (a *App) Start(ctx context.Context) {
	if a.worker != nil {
		go a.worker.Run(ctx)
	}
	go a.reconcilePresence(ctx)
	go a.expireRecordings(ctx)
	go a.maintainCallRecords(ctx)
	go a.purgeMail(ctx)
	if a.transfers != nil {
		go a.transfers.RunSweeps(ctx, a.Config.LiveKitTransferTTL, a.Log)
	}
}

// Close closes the connections New opened, last opened first.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// debugRoutes adds net/http/pprof's profiles under /debug/pprof/ to mux (the
// admin listener's): a load test takes CPU and heap profiles of the live
// core there. Never on the public listener: profiles show the core's
// internals, and a CPU profile costs CPU while it runs. The routes go on mux
// itself, since the pprof package's init only fills http.DefaultServeMux,
// which the core never serves.
func debugRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, goroutine, allocs, mutex…
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile) // CPU, ?seconds=N
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// ticketSecret is LOBBY_TICKET_SECRET, or a random one for a single replica:
// tickets then do not survive a restart, which only makes people ask again.
func ticketSecret(cfg Config, log *slog.Logger) []byte {
	if cfg.LobbyTicketSecret != "" {
		return []byte(cfg.LobbyTicketSecret)
	}
	log.Warn("LOBBY_TICKET_SECRET is not set: lobby tickets work on this replica only, until it restarts")
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// presenceInterval is how often presence is checked against LiveKit.
const presenceInterval = 5 * time.Minute

// reconcilePresence repairs presence at start and then periodically.
func (a *App) reconcilePresence(ctx context.Context) {
	for {
		if err := a.Server.ReconcilePresence(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("presence reconciliation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(presenceInterval):
		}
	}
}

// expireRecordings runs the expiry of recordings at start and then every
// RECORDING_EXPIRY_INTERVAL; with several replicas, each pass is done by
// whichever holds the expiry lock.
func (a *App) expireRecordings(ctx context.Context) {
	if a.Config.RecordingExpirationDays <= 0 || a.Config.RecordingExpiryInterval <= 0 {
		return
	}
	for {
		if err := a.Server.ExpireRecordings(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("recording expiry failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.Config.RecordingExpiryInterval):
		}
	}
}
