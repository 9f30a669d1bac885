// Command loadtest drives simulated phone callers through sipgate, measures, and writes a report that
// anyone can reproduce: `make loadtest` starts the local stack (`make up`) and runs it with its bounded
// default profile, in about three minutes on loopback.
//
// It makes its own fixtures through the core's API (a trunk with the operator token, rooms with a user
// token from the development issuer), then runs, each phase only if it fits in -budget:
//
//  1. ramp: calls arriving at each rate of -steps for -step-time, with -sustain-rate held for
//     -sustain-time where it falls in the ramp, in the -mix of right and wrong PINs, slow typists and
//     hang-ups mid-entry, keys by RFC 4733 and by SIP INFO; CPU profiles of sipgate and the core are
//     taken during the sustained step;
//  2. concurrency: -conc calls at once, -conc-bridged of them bridged into their room, the rest waiting
//     for their host or typing slowly in the IVR, with RTP in both directions; sipgate's live heap is
//     measured idle and on the plateau;
//  3. sipp: the same flow by sipp's own SIP and RTP stacks (loadtest/sipp), keys by play_dtmf and by INFO;
//  4. bench: the core's ResolvePin and CreateRoom benchmarks, Connect against the store alone.
//
// It writes -out/report.md, report.json, chart.svg and the profiles. The environment is the local
// stack's (.run/env): SIPGATE_ADDR, SIPGATE_HTTP_ADDR, CORE_URL, CORE_ADMIN_URL, OPERATOR_TOKEN, SIPGATE_MAX_CALLS,
// SIPGATE_RTP_PORTS; LOADTEST_USER_TOKEN, when set, is the rooms' owner's token (else `bin/core token
// --sub loadtest` makes one).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/emiago/sipgo/sip"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// sipgo logs a few things through its package-level logger (retransmissions after a call ended,
	// sockets closing): under load they are noise, and a failed call shows in its result.
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if cfg.cpuProfile != "" {
		stopProfile, err := profileSelf(cfg.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(2)
		}
		defer stopProfile()
	}
	if err := run(ctx, cfg, log); err != nil {
		log.Error("load test failed", "error", err)
		os.Exit(1) //nolint: the profile is lost, which a failed run can spare
	}
}

// profileSelf starts a CPU profile of the generator into path and returns what stops it.
func profileSelf(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
