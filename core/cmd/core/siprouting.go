package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
)

// The core is the single owner of LiveKit's SIP routing for sipgate: the
// inbound trunk and the Callee dispatch rule of core/livekit/sip.go. Nothing
// else creates, changes or deletes them. Every replica ensures them at start
// (idempotent, and safe when replicas start together), so a change of the
// LIVEKIT_SIP_* settings takes effect with a rolling restart; sipgate only
// dials through them. Until they are in place no call reaches a room, so the
// core is not ready before.

// sipRetry is how the core provisions: each attempt's deadline, then waits
// that double from Min up to Max between failed attempts, so that a LiveKit
// that is down for long is asked about once a minute per replica.
type sipRetry struct {
	Attempt  time.Duration
	Min, Max time.Duration
}

var defaultSIPRetry = sipRetry{Attempt: 10 * time.Second, Min: time.Second, Max: time.Minute}

// sipRoutingCheck is the readiness check's name.
const sipRoutingCheck = "livekit_sip"

// startSIPRouting provisions r in LiveKit and returns the readiness check
// that fails until it is provisioned; no check when r allows no address,
// which turns provisioning off. The first attempt runs before the core
// serves, so that a core starting beside a healthy LiveKit is ready at once;
// after a failure, attempts go on in the background until one succeeds or
// ctx ends. Only errors and ids are logged, never r, which holds the
// password.
func startSIPRouting(ctx context.Context, lk *livekit.Client, r livekit.SIPRouting, retry sipRetry, log *slog.Logger) []api.Check {
	if len(r.AllowedAddresses) == 0 {
		log.Warn("LIVEKIT_SIP_ALLOWED_ADDRESSES is empty: the core does not provision LiveKit's SIP routing for sipgate")
		return nil
	}
	p := &sipProvisioner{lk: lk, routing: r, retry: retry, log: log.With("trunk", r.TrunkName)}
	if err := p.attempt(ctx); err != nil {
		p.log.Warn("LiveKit SIP routing not provisioned; retrying in the background", "err", err)
		go p.retryUntilDone(ctx)
	}
	return []api.Check{{Name: sipRoutingCheck, Ping: p.ping}}
}

// sipProvisioner ensures the routing and remembers the outcome for readiness.
type sipProvisioner struct {
	lk      *livekit.Client
	routing livekit.SIPRouting
	retry   sipRetry
	log     *slog.Logger

	mu  sync.Mutex
	err error // of the last attempt; nil once provisioned
}

// attempt ensures the routing once, within the attempt deadline.
func (p *sipProvisioner) attempt(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, p.retry.Attempt)
	defer cancel()
	trunkID, ruleID, err := p.lk.EnsureSIPRouting(actx, p.routing)
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
	if err == nil {
		p.log.Info("LiveKit SIP routing provisioned", "trunk_id", trunkID, "rule_id", ruleID)
	}
	return err
}

// retryUntilDone attempts again after doubling waits, each cut by up to
// half at random so that replicas that failed together do not all ask again
// at the same moment.
func (p *sipProvisioner) retryUntilDone(ctx context.Context) {
	for wait := p.retry.Min; ; wait = min(2*wait, p.retry.Max) {
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		err := p.attempt(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		p.log.Warn("LiveKit SIP routing not provisioned; retrying", "err", err)
	}
}

// ping is the readiness check: the last attempt's error until one succeeds.
func (p *sipProvisioner) ping(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return fmt.Errorf("not provisioned yet: %w", p.err)
	}
	return nil
}
