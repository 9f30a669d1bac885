// Command chaos is the fault drill behind `make chaos`: against a running local stack (`make up`) it keeps
// phone callers in every phase (typing the PIN, waiting for the host, waiting in a lobby, bridged into
// a room) and, one after the other, SIGKILLs and restarts Postgres, Valkey, the core (alone, then as one
// of two replicas behind a balancer), LiveKit, LiveKit's SIP stand-in, the SMTP sink and the S3 store,
// with deploy/local/crash.sh and restart.sh. For each fault it records what the callers of each phase
// heard (prompts, and the Reason of sipgate's BYE), how many accepted calls were lost, how long after
// the service's return new calls succeeded, what /readyz said meanwhile (polled every 250 ms), and
// whether an invitation e-mail queued during the outage reached the SMTP sink. It writes the table to
// -out/chaos.md and stops by itself (about seven minutes).
//
// The environment is the stack's (.run/env): SIPGATE_ADDR, CORE_URL, CORE_ADMIN_URL, OPERATOR_TOKEN, MAILPIT_URL, CORE2_ADDR; the
// deploy/local scripts it runs read the same MEETLINE_RUN and port overrides, so a private stack (every
// port shifted, MEETLINE_RUN elsewhere) is drilled the same way.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"
)

// config is the drill's flags and environment.
type config struct {
	repo, out   string
	faults      []string
	perPhase    int
	settle      time.Duration
	outage      time.Duration
	holdFor     time.Duration
	recoverWait time.Duration
	mailWait    time.Duration

	sipgateAddr, coreURL, operatorToken, mailpitURL, core2Addr string
	// adminURL is the core's admin listener, whose /readyz names the failing checks (the public one does not).
	adminURL string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg, log); err != nil {
		log.Error("chaos drill failed", "error", err)
		os.Exit(1)
	}
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.StringVar(&c.repo, "repo", ".", "the repository's root: deploy/local's scripts and bin/ are there")
	fs.StringVar(&c.out, "out", "loadtest/out", "where chaos.md goes")
	faults := fs.String("faults", strings.Join(faultNames(), ","), "the faults to inject, in order: "+strings.Join(faultNames(), ", "))
	fs.IntVar(&c.perPhase, "per-phase", 2, "callers in each phase during each fault")
	fs.DurationVar(&c.settle, "settle", 12*time.Second, "time the held callers get to reach their phase (bridged, waiting, in the lobby) before the fault")
	fs.DurationVar(&c.outage, "outage", 10*time.Second, "how long a killed service stays down")
	fs.DurationVar(&c.holdFor, "hold", 36*time.Second, "callers waiting, in a lobby or bridged stay at least this long after the kill: longer than sipgate's no-RTP timeout (30 s), so that a bridge left silent by the fault shows")
	fs.DurationVar(&c.recoverWait, "recover", 45*time.Second, "how long after the service's return new calls may take to succeed before the row says it did not recover")
	fs.DurationVar(&c.mailWait, "mail-wait", 60*time.Second, "at the end, how long e-mails queued during outages get to reach the SMTP sink")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for f := range strings.SplitSeq(*faults, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, ok := faultByName(f); !ok {
			return c, fmt.Errorf("-faults: unknown fault %q (want %s)", f, strings.Join(faultNames(), ", "))
		}
		c.faults = append(c.faults, f)
	}
	if c.perPhase < 1 {
		return c, fmt.Errorf("-per-phase %d: want at least 1", c.perPhase)
	}
	c.sipgateAddr, c.coreURL = getenv("SIPGATE_ADDR"), getenv("CORE_URL")
	c.operatorToken, c.mailpitURL = getenv("OPERATOR_TOKEN"), getenv("MAILPIT_URL")
	var missing []string
	for _, kv := range [][2]string{{"SIPGATE_ADDR", c.sipgateAddr}, {"CORE_URL", c.coreURL},
		{"OPERATOR_TOKEN", c.operatorToken}, {"MAILPIT_URL", c.mailpitURL}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("%s not set: run `make up` and `source .run/env` (make chaos does both)", strings.Join(missing, ", "))
	}
	if c.adminURL = getenv("CORE_ADMIN_URL"); c.adminURL == "" {
		c.adminURL = c.coreURL
	}
	if c.core2Addr = getenv("CORE2_ADDR"); c.core2Addr == "" {
		c.core2Addr = "127.0.0.1:18083" // deploy/local/lib.sh's default
	}
	return c, nil
}
