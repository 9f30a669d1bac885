// Command core serves meetline's control plane: the Connect services, the
// webhooks, health, readiness and metrics, on one HTTP port.
//
//	core           serve (migrating the database first unless CORE_MIGRATE_ON_START=false)
//	core serve     the same
//	core migrate   apply pending migrations and exit
//	core token     print a development identity token (see identity.go)
//	core demo      create a demo trunk and room, print their number and PIN (see demo.go)
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/brevo"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/valkey"
	"github.com/meetline/meetline/core/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "core:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if cmd == "token" {
		return printToken(args[1:], getenv, stdout)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate", "demo":
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Migrate(ctx, log); err != nil || cmd == "migrate" {
			return err
		}
		return seedDemo(ctx, db, stdout)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, token or demo)", cmd)
	}
}

// serve opens every dependency, then serves HTTP until ctx ends, then drains.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.MigrateOnStart {
		if err := db.Migrate(ctx, log); err != nil {
			return err
		}
	}
	var vopts []valkey.Option
	if cfg.ValkeyPassword != "" {
		vopts = append(vopts, valkey.WithPassword(cfg.ValkeyUser, cfg.ValkeyPassword))
	}
	kv, err := valkey.Open(ctx, cfg.ValkeyAddr, cfg.ValkeyPrefix, vopts...)
	if err != nil {
		return err
	}
	defer kv.Close()
	bucket, err := storage.Open(storage.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, Bucket: cfg.S3Bucket})
	if err != nil {
		return err
	}
	lk := livekit.New(livekit.Config{URL: cfg.LiveKitURL, PublicURL: cfg.LiveKitPublicURL,
		APIKey: cfg.LiveKitAPIKey, APISecret: cfg.LiveKitAPISecret, TokenTTL: cfg.LiveKitTokenTTL})
	services, err := api.ParseServiceTokens(cfg.ServiceTokens)
	if err != nil {
		return fmt.Errorf("SERVICE_TOKENS: %w", err)
	}
	mux := http.NewServeMux()
	verifier, err := identity(ctx, cfg, mux, log)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mailer, err := startMail(ctx, cfg, db, reg, log)
	if err != nil {
		return err
	}
	srv := &api.Server{
		Users: postgres.NewUserService(db),
		Rooms: postgres.NewRoomService(db, postgres.WithPINRetries(cfg.PINRetries),
			postgres.WithMetrics(reg), postgres.WithLogger(log)),
		Accesses:    postgres.NewAccessService(db),
		Trunks:      postgres.NewTrunkService(db),
		PINAttempts: valkey.NewPINAttempts(kv, cfg.PINCallerFailures, cfg.PINNumberFailures),
		Lobby:       valkey.NewLobbyService(kv, valkey.NewHub(kv, "lobby-events", log), cfg.LobbyTTLs),
		Presence:    valkey.NewPresence(kv),
		Limiter:     valkey.NewRateLimiter(kv),
		Dedup:       valkey.NewDeduplicator(kv),
		LobbySettings: api.LobbySettings{TTLs: cfg.LobbyTTLs, TicketSecret: ticketSecret(cfg, log),
			PerParticipant: cfg.LobbyPerParticipant, PerAddress: cfg.LobbyPerAddress},
		Webhooks: api.WebhookSettings{Keys: auth.NewSimpleKeyProvider(cfg.LiveKitAPIKey, cfg.LiveKitAPISecret),
			RoomFilter: cfg.WebhookRoomFilter, DedupTTL: 24 * time.Hour},
		LiveKit:         lk,
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
			{Name: "s3", Ping: bucket.Ping},
			{Name: "livekit", Ping: lk.Ping},
		},
		Recordings: postgres.NewRecordingService(db),
		Bucket:     bucket,
		EgressStorage: livekit.EgressStorage{Endpoint: cfg.EgressS3Endpoint, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, Bucket: cfg.S3Bucket},
		Recorder: api.RecorderSettings{StartTimeout: cfg.RecordingStartTimeout, DownloadTTL: cfg.RecordingDownloadTTL,
			WebhookToken: cfg.StorageWebhookToken},
		Mailer: mailer,
		Summary: api.SummarySettings{URL: cfg.SummaryURL, CallbackToken: cfg.SummaryCallbackTok,
			CallbackURL: strings.TrimRight(cfg.PublicURL, "/") + "/webhooks/summary", DownloadTTL: 24 * time.Hour},
		Registry: reg,
		Logger:   log,
	}
	startSIPRouting(ctx, srv, lk, cfg.LiveKitSIP, cfg.LiveKitSIPTiming, log)
	console := web.Config{Issuer: cfg.OIDCIssuerURL, ClientID: cfg.OIDCAudience}
	if cfg.DevIssuer && cfg.OIDCIssuerURL == cfg.DevIssuerURL() { // the console signs people in as that issuer
		console.DevKeyFile = cfg.DevIssuerKeyFile
	}
	handler, err := web.New(srv.Handler(), console) // the web console at /, the API behind it
	if err != nil {
		return err
	}
	mux.Handle("/", handler)
	debugRoutes(mux, cfg.Pprof)
	go reconcilePresence(ctx, srv, log)
	return listenAndServe(ctx, cfg, mux, log)
}

// listenAndServe serves h on cfg.Addr (HTTP/1.1 and cleartext HTTP/2, which
// gRPC clients need) until ctx ends, then lets requests in flight finish.
func listenAndServe(ctx context.Context, cfg config, h http.Handler, log *slog.Logger) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: h, Protocols: protocols, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("core serving", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("core draining", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// debugRoutes adds net/http/pprof's profiles under /debug/pprof/ to mux when
// on (CORE_PPROF): a load test takes CPU and heap profiles of the live core
// there. Off by default, so the routes do not exist: profiles show the
// core's internals to whoever reaches its port, and a CPU profile costs CPU
// while it runs. The routes go on mux itself, since the pprof package's init
// only fills http.DefaultServeMux, which the core never serves.
func debugRoutes(mux *http.ServeMux, on bool) {
	if !on {
		return
	}
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, goroutine, allocs, mutex…
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile) // CPU, ?seconds=N
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// ticketSecret is LOBBY_TICKET_SECRET, or a random one for a single replica:
// tickets then do not survive a restart, which only makes people ask again.
func ticketSecret(cfg config, log *slog.Logger) []byte {
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
func reconcilePresence(ctx context.Context, srv *api.Server, log *slog.Logger) {
	for {
		if err := srv.ReconcilePresence(ctx); err != nil && ctx.Err() == nil {
			log.Warn("presence reconciliation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(presenceInterval):
		}
	}
}

// startMail builds the renderer and, when SMTP_HOST is set, starts the
// outbox worker; without it mail is queued and waits for a configured core.
func startMail(ctx context.Context, cfg config, db *postgres.DB, reg prometheus.Registerer, log *slog.Logger) (api.Mailer, error) {
	renderer, err := mail.NewRenderer(cfg.MailBrand)
	if err != nil {
		return api.Mailer{}, err
	}
	outbox := postgres.NewOutbox(db)
	m := api.Mailer{Renderer: renderer, Enqueue: outbox.Enqueue, Notify: func() {}, RoomURL: cfg.MailBrand.BaseURL,
		PerInviter: core.AttemptLimit{Max: cfg.InvitationsPerHour, Window: time.Hour}}
	if cfg.SMTP.Host == "" {
		log.Warn("no SMTP_HOST: mail is queued in the outbox but not sent")
		return m, nil
	}
	sender, err := mail.NewSender(cfg.SMTP)
	if err != nil {
		return api.Mailer{}, fmt.Errorf("SMTP: %w", err)
	}
	router := mail.Router{Default: sender, ByKind: map[string]mail.Transport{}}
	if cfg.MarketingProvider == "brevo" {
		router.ByKind[core.KindMarketingContact] = mail.ContactTransport{List: brevo.NewClient(cfg.BrevoURL, cfg.BrevoAPIKey, cfg.BrevoListIDs)}
	}
	if cfg.SummaryURL != "" {
		router.ByKind[core.KindSummaryRequest] = mail.SummaryTransport{URL: cfg.SummaryURL, Token: cfg.SummaryToken,
			HTTP: &http.Client{Timeout: cfg.SummaryTimeout}}
	}
	w := mail.NewWorker(outbox, router, mail.WithPollInterval(cfg.MailPollInterval), mail.WithMaxAttempts(cfg.MailMaxAttempts),
		mail.WithMetrics(reg), mail.WithLogger(log))
	go w.Run(ctx)
	m.Notify = w.Notify
	return m, nil
}
