// Command lksip-standin runs the LiveKit SIP stand-in (package
// internal/standin) for `make run` and tests: a stand-in for LiveKit's SIP
// service, never for production, where sipgate points at a real one.
//
// Environment:
//
//	LKSIP_ADDR           UDP host:port to listen on (default 127.0.0.1:5070); its host also
//	                     carries RTP
//	LKSIP_RTP_PORTS      RTP port range lo-hi (default 24000-25999, as deploy/local/lib.sh)
//	LIVEKIT_URL          livekit-server, and LIVEKIT_API_KEY, LIVEKIT_API_SECRET
//	VALKEY_ADDR          the Valkey livekit-server uses (its psrpc bus)
//	LKSIP_AUTH_USERNAME  with LKSIP_AUTH_PASSWORD: demand these digest credentials instead of
//	                     the matched trunk's (the default, as LiveKit does)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/internal/standin"
	"github.com/meetline/meetline/internal/standin/lkbus"
	"github.com/meetline/meetline/sipgate/media"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("lksip-standin", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	addr := getenv("LKSIP_ADDR", "127.0.0.1:5070")
	ports, err := rtpPorts(addr, getenv("LKSIP_RTP_PORTS", "24000-25999"))
	if err != nil {
		return err
	}
	vc, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{os.Getenv("VALKEY_ADDR")}, DisableCache: true})
	if err != nil {
		return fmt.Errorf("valkey %q: %w", os.Getenv("VALKEY_ADDR"), err)
	}
	defer vc.Close()
	io, err := lkbus.NewIOInfoClient(vc)
	if err != nil {
		return err
	}
	lk := standin.LiveKit{URL: os.Getenv("LIVEKIT_URL"), APIKey: os.Getenv("LIVEKIT_API_KEY"), APISecret: os.Getenv("LIVEKIT_API_SECRET")}
	opts := []standin.Option{standin.WithAddr(addr), standin.WithRTPPorts(ports), standin.WithLogger(log)}
	if u := os.Getenv("LKSIP_AUTH_USERNAME"); u != "" {
		opts = append(opts, standin.WithStaticAuth(u, os.Getenv("LKSIP_AUTH_PASSWORD")))
	}
	srv, err := standin.New(io, lk, opts...)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping: hanging up live calls")
	return srv.Close()
}

// rtpPorts parses "lo-hi" into a range on addr's host (127.0.0.1 when the
// host is unspecified, since the SDP must carry a reachable address).
func rtpPorts(addr, spec string) (*media.PortRange, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("LKSIP_ADDR %q: %w", addr, err)
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	lo, hi, ok := strings.Cut(spec, "-")
	l, err1 := strconv.ParseUint(lo, 10, 16)
	h, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("LKSIP_RTP_PORTS %q: want lo-hi", spec)
	}
	return media.NewPortRange(ip, uint16(l), uint16(h))
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
