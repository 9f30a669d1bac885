// Command core serves meetline's control plane: the Connect services, the
// webhooks, health, readiness and metrics, on one HTTP port.
//
//	core           serve (migrating the database first unless CORE_MIGRATE_ON_START=false)
//	core serve     the same
//	core migrate   apply pending migrations and exit
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/valkey"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "core:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Migrate(ctx, log)
	default:
		return fmt.Errorf("unknown command %q (want serve or migrate)", cmd)
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
	lk := livekit.New(livekit.Config{URL: cfg.LiveKitURL, APIKey: cfg.LiveKitAPIKey, APISecret: cfg.LiveKitAPISecret})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := &api.Server{
		Trunks:    postgres.NewTrunkService(db),
		Telephony: core.TelephonySettings{Enabled: cfg.TelephonyEnabled, DefaultRegion: cfg.TelephonyDefaultRegion},
		Recording: core.RecordingSettings{Enabled: cfg.RecordingEnabled,
			TranscriptionEnabled: cfg.RecordingTranscriptionEnabled, ExpirationDays: cfg.RecordingExpirationDays},
		Checks: []api.Check{
			{Name: "postgres", Ping: db.Ping},
			{Name: "valkey", Ping: kv.Ping},
			{Name: "s3", Ping: bucket.Ping},
			{Name: "livekit", Ping: lk.Ping},
		},
		Registry: reg,
		Logger:   log,
	}
	return listenAndServe(ctx, cfg, srv.Handler(), log)
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
