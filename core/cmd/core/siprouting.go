package main

import (
	"context"
	"log/slog"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
)

// sipRoutingCheck is the readiness check's name.
const sipRoutingCheck = "livekit_sip"

// startSIPRouting starts keeping sipgate's SIP routing in LiveKit
// (livekit.SIPReconciler: at start, every interval, and when sipgate reports
// a failed hand-off) and adds its readiness check to srv, which fails while
// the last check failed. Nothing when r allows no address, which turns
// provisioning off. A change of the LIVEKIT_SIP_* settings takes effect with
// a rolling restart.
func startSIPRouting(ctx context.Context, srv *api.Server, lk *livekit.Client, r livekit.SIPRouting, timing livekit.ReconcileTiming, log *slog.Logger) {
	if len(r.AllowedAddresses) == 0 {
		log.Warn("LIVEKIT_SIP_ALLOWED_ADDRESSES is empty: the core does not provision LiveKit's SIP routing for sipgate")
		return
	}
	rec := livekit.NewSIPReconciler(lk, r, timing, log)
	rec.Start(ctx)
	srv.SIPRouting = rec
	srv.Checks = append(srv.Checks, api.Check{Name: sipRoutingCheck, Ping: rec.Ping, LastOK: rec.LastOK})
}
