// Command sipgate runs meetline's SIP gateway. It is configured by environment variables only; see
// sipgate.Config for each variable and its default. `sipgate config check` prints the effective
// configuration (secrets masked) and every error in it.
//
// SIGTERM or SIGINT drains: new INVITEs get 503 with Retry-After and /healthz turns 503 while live calls end,
// for at most SIPGATE_DRAIN_TIMEOUT; then sipgate exits 0.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate"
	"github.com/meetline/meetline/sipgate/corerpc"
)

// httpShutdownTimeout bounds the wait for in-flight /healthz and /metrics requests once SIP has stopped.
const httpShutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var err error
	switch args := os.Args[1:]; {
	case len(args) == 0:
		err = run(ctx, os.Getenv, os.Stderr)
	case len(args) == 2 && args[0] == "config" && args[1] == "check":
		err = checkConfig(os.Getenv, os.Stdout)
	default:
		err = errors.New("usage: sipgate [config check]")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// checkConfig prints the effective configuration on stdout, then returns every error in it.
func checkConfig(getenv func(string) string, stdout io.Writer) error {
	_, l, err := sipgate.LoadConfig(getenv)
	if perr := l.Print(stdout); perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("sipgate: configuration:\n%w", err)
	}
	return nil
}

// run serves until ctx is cancelled (a signal), then drains. It returns an error only for a failure to start
// or a listener that dies; a drain that runs out of time is logged, not fatal.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := sipgate.ConfigFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("sipgate: configuration:\n%w", err)
	}
	log := sipgate.MaskLogger(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	// For the few sipgo logs that do not go through the loggers sipgate.New hands it.
	sip.SetDefaultLogger(sipgate.SIPLogger(log.With("component", "sipgo")))

	core := corerpc.New(cfg.Core)
	opts := []sipgate.Option{
		sipgate.WithLogger(log),
		sipgate.WithUserAgent(cfg.UserAgent),
		sipgate.WithRetryAfter(cfg.RetryAfter),
		sipgate.WithCore(core),
		sipgate.WithCallConfig(cfg.Call),
		sipgate.WithLiveKit(cfg.LiveKit),
	}
	if cfg.TLSAddr != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("sipgate: %s/%s: %w", sipgate.EnvTLSCertFile, sipgate.EnvTLSKeyFile, err)
		}
		conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		opts = append(opts, sipgate.WithTLS(cfg.TLSAddr, conf))
	}
	var records *sipgate.Records
	if cfg.Records.Dir == "" {
		log.Warn("call records are off: set " + sipgate.EnvCallRecordsDir)
	} else {
		records, err = sipgate.OpenRecords(cfg.Records)
		if err != nil {
			return err
		}
		defer records.Close()
		shipCtx, stopShipping := context.WithCancel(context.Background())
		defer stopShipping()
		go records.Ship(shipCtx, core, log)
		opts = append(opts, sipgate.WithRecords(records))
	}
	srv, err := sipgate.New(cfg.SIPAddr, opts...)
	if err != nil {
		return err
	}
	httpLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("sipgate: listen http %s: %w", cfg.HTTPAddr, err)
	}
	httpSrv := &http.Server{Handler: sipgate.DebugHandler(srv.Handler(), cfg.Pprof), ReadHeaderTimeout: 5 * time.Second}

	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe(context.Background()) }()
	go func() { errc <- httpServeErr(httpSrv.Serve(httpLn)) }()
	log.Info("http listening", "addr", httpLn.Addr().String())

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("signal received, draining", "timeout", cfg.DrainTimeout.String())
	case serveErr = <-errc:
		log.Error("serve failed, shutting down", "error", serveErr)
	}
	shutdown(srv, httpSrv, cfg.DrainTimeout, log)
	if records != nil {
		fctx, fcancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
		defer fcancel()
		if err := records.Flush(fctx, core); err != nil {
			log.Warn("call records left in the spool", "error", err)
		}
	}
	return serveErr
}

// shutdown drains SIP first, keeping /healthz up so that probes see 503 during the drain, then stops HTTP.
func shutdown(srv *sipgate.Server, httpSrv *http.Server, drain time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("drain incomplete", "error", err)
	}
	hctx, hcancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer hcancel()
	if err := httpSrv.Shutdown(hctx); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	log.Info("stopped")
}

func httpServeErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("sipgate: serve http: %w", err)
}
