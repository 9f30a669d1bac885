// Package lkbus is psrpc's message bus over Valkey with valkey-go: the
// internal RPC channel between livekit-server and its SIP, egress and ingress
// services. The LiveKit SIP stand-in (package standin) and tests use it to
// call livekit-server's IOInfo service (EvaluateSIPDispatchRules,
// GetSIPTrunkAuthentication) exactly as LiveKit's SIP service does.
//
// psrpc ships a Redis bus (psrpc/pkg/bus/redisbus) built on go-redis, which
// this module does not depend on; valkey-go it does. This package plugs into
// psrpc's own seam, bus.New(bus.Transport), and speaks the same wire
// protocol as redisbus v0.8: a message is one PUBLISH of psrpc's serialised
// payload on Channel.Legacy; every subscriber of a channel gets it; among
// queue subscribers the one that first sets the key base64(sha256(payload))
// with NX and a 5 s expiry takes it. Serialisation and compression stay in
// psrpc's bus.New.
package lkbus

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/livekit/protocol/rpc"
	"github.com/livekit/psrpc/pkg/bus"
	"github.com/valkey-io/valkey-go"
)

// queueLock is how long a queue message stays claimed (redisbus's
// lockExpiration): long enough for every subscriber to have seen it.
const queueLock = 5 * time.Second

// New returns a psrpc message bus on vc. vc stays the caller's to close.
func New(vc valkey.Client) bus.MessageBus {
	return bus.New(transport{vc: vc})
}

type transport struct{ vc valkey.Client }

func (t transport) Publish(ctx context.Context, ch bus.Channel, payload []byte) error {
	cmd := t.vc.B().Publish().Channel(ch.Legacy).Message(valkey.BinaryString(payload)).Build()
	if err := t.vc.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("lkbus: publish %s: %w", ch.Legacy, err)
	}
	return nil
}

func (t transport) Subscribe(ctx context.Context, ch bus.Channel, size int) (bus.Reader, error) {
	return t.subscribe(ctx, ch.Legacy, size, false)
}

func (t transport) SubscribeQueue(ctx context.Context, ch bus.Channel, size int) (bus.Reader, error) {
	return t.subscribe(ctx, ch.Legacy, size, true)
}

// subscribe returns once Valkey confirmed the subscription, so that a
// request published right after cannot overtake it (psrpc subscribes to its
// response channel and then publishes the request).
func (t transport) subscribe(ctx context.Context, channel string, size int, queue bool) (bus.Reader, error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &reader{vc: t.vc, ctx: ctx, cancel: cancel, msgs: make(chan []byte, size), queue: queue}
	ready := make(chan struct{}, 1)
	hooked := valkey.WithOnSubscriptionHook(ctx, func(s valkey.PubSubSubscription) {
		if s.Kind == "subscribe" {
			select {
			case ready <- struct{}{}:
			default:
			}
		}
	})
	hooked = valkey.WithOnReceiveReturnHook(hooked, func(_ error, c valkey.CommandClient) error {
		return c.Do(context.Background(), c.B().Unsubscribe().Channel(channel).Build()).Error()
	})
	errc := make(chan error, 1)
	go func() {
		errc <- t.vc.Receive(hooked, t.vc.B().Subscribe().Channel(channel).Build(), r.deliver)
	}()
	select {
	case <-ready:
		return r, nil
	case err := <-errc:
		cancel()
		return nil, fmt.Errorf("lkbus: subscribe %s: %w", channel, err)
	}
}

// reader hands one subscription's payloads to psrpc.
type reader struct {
	vc     valkey.Client
	ctx    context.Context
	cancel context.CancelFunc
	msgs   chan []byte
	queue  bool
}

// deliver runs on valkey-go's connection goroutine: it blocks only until
// psrpc reads or the reader closes.
func (r *reader) deliver(m valkey.PubSubMessage) {
	select {
	case r.msgs <- []byte(m.Message):
	case <-r.ctx.Done():
	}
}

// Read returns the next payload, skipping queue messages another subscriber
// took; false once the reader is closed.
func (r *reader) Read() ([]byte, bool) {
	for {
		select {
		case b := <-r.msgs:
			if !r.queue || r.claim(b) {
				return b, true
			}
		case <-r.ctx.Done():
			return nil, false
		}
	}
}

func (r *reader) claim(payload []byte) bool {
	sum := sha256.Sum256(payload)
	key := base64.StdEncoding.EncodeToString(sum[:])
	cmd := r.vc.B().Set().Key(key).Value(strconv.Itoa(rand.Int())).Nx().Px(queueLock).Build()
	return r.vc.Do(r.ctx, cmd).Error() == nil
}

// Close ends the subscription: valkey-go's Receive returns and the channel
// is unsubscribed.
func (r *reader) Close() error {
	r.cancel()
	return nil
}

// NewIOInfoClient returns a client of livekit-server's IOInfo service over
// vc: what LiveKit's SIP service calls for each INVITE.
func NewIOInfoClient(vc valkey.Client) (rpc.IOInfoClient, error) {
	c, err := rpc.NewIOInfoClient(New(vc))
	if err != nil {
		return nil, fmt.Errorf("lkbus: IOInfo client: %w", err)
	}
	return c, nil
}
