// Command core serves meetline's control plane: the Connect services, the
// webhooks, health and readiness on CORE_ADDR; metrics, detailed readiness,
// reflection and profiles on CORE_ADMIN_ADDR. The core itself
// is composed in core/app; this main reads the environment, adds LiveKit's
// SIP routing (siprouting.go) and serves.
//
//	core               serve (migrating the database first unless CORE_MIGRATE_ON_START=false)
//	core serve         the same
//	core migrate       apply pending migrations and exit
//	core token         print a development identity token (see token.go)
//	core demo          create a demo trunk and room, print their number and PIN (see demo.go)
//	core config check  print the effective configuration (secrets masked) and every error in it
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/postgres"
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
	switch cmd {
	case "token":
		return printToken(args[1:], getenv, stdout)
	case "config":
		if len(args) != 2 || args[1] != "check" {
			return fmt.Errorf("usage: core config check")
		}
		return checkConfig(getenv, stdout)
	case "serve", "migrate", "demo":
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, token, demo or config check)", cmd)
	}
	cfg, _, err := app.LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if cmd == "serve" {
		return serve(ctx, cfg, log)
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil || cmd == "migrate" {
		return err
	}
	return seedDemo(ctx, db, stdout)
}

// checkConfig implements `core config check`: the effective configuration
// on stdout, then every error; it fails when there is one.
func checkConfig(getenv func(string) string, stdout io.Writer) error {
	_, l, err := app.LoadConfig(getenv)
	if perr := l.Print(stdout); perr != nil {
		return perr
	}
	return err
}

// serve builds the core, provisions LiveKit's SIP routing, then serves HTTP
// until ctx ends, then drains.
func serve(ctx context.Context, cfg app.Config, log *slog.Logger) error {
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	startSIPRouting(ctx, a.Server, a.LiveKit, cfg.LiveKitSIP, cfg.LiveKitSIPTiming, log)
	h, err := a.Handler()
	if err != nil {
		return err
	}
	admin, err := listenAdmin(cfg, a.AdminHandler(), log)
	if err != nil {
		return err
	}
	defer admin.Close() // after the public listener drained: metrics see the drain
	a.Start(ctx)
	return listenAndServe(ctx, cfg, h, log)
}

// listenAdmin serves the operators' handler on cfg.AdminAddr in the
// background, until the returned server is closed.
func listenAdmin(cfg app.Config, h http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("CORE_ADMIN_ADDR: %w", err)
	}
	hs := app.HTTPServer(cfg, h, log)
	log.Info("core admin serving", "addr", ln.Addr().String())
	go hs.Serve(ln)
	return hs, nil
}

// listenAndServe serves h on cfg.Addr (HTTP/1.1 and cleartext HTTP/2, which
// gRPC clients need) until ctx ends, then lets requests in flight finish.
func listenAndServe(ctx context.Context, cfg app.Config, h http.Handler, log *slog.Logger) error {
	hs := app.HTTPServer(cfg, h, log)
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
