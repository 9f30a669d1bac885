package valkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Hub spreads "this room changed" signals across core replicas. Each replica
// keeps ONE pattern subscription to Valkey and fans messages out to its local
// watchers, so a thousand streams cost one subscription, not a thousand.
// Signals carry no data: a watcher reads the current state after each one,
// which makes lost or merged signals harmless.
type Hub struct {
	c     *Client
	topic string // channel prefix: one channel per room
	log   *slog.Logger

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
	started  bool
	ready    chan struct{} // closed once the first subscription is confirmed
}

// NewHub returns a hub for channels named "<prefix><topic>:<room>".
func NewHub(c *Client, topic string, log *slog.Logger) *Hub {
	return &Hub{c: c, topic: c.Key(topic + ":"), log: log, watchers: map[string]map[chan struct{}]struct{}{},
		ready: make(chan struct{})}
}

// Publish signals every watcher of room, on every replica.
func (h *Hub) Publish(ctx context.Context, room string) error {
	if err := h.c.Do(ctx, h.c.B().Publish().Channel(h.topic+room).Message("1").Build()).Error(); err != nil {
		return fmt.Errorf("hub: publish: %w", err)
	}
	return nil
}

// Watch returns a channel that receives a signal after each change of room,
// until ctx ends; it is closed then. The channel holds one pending signal:
// a slow watcher sees changes merged, never blocks the hub. Watch returns
// once the replica's subscription is in place, so a change made after it
// returns is never missed.
func (h *Hub) Watch(ctx context.Context, room string) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if !h.started {
		h.started = true
		go h.run()
	}
	if h.watchers[room] == nil {
		h.watchers[room] = map[chan struct{}]struct{}{}
	}
	h.watchers[room][ch] = struct{}{}
	h.mu.Unlock()
	select {
	case <-h.ready:
	case <-ctx.Done():
	}
	context.AfterFunc(ctx, func() { // no goroutine waits meanwhile: streams are many and long
		h.mu.Lock()
		delete(h.watchers[room], ch)
		if len(h.watchers[room]) == 0 {
			delete(h.watchers, room)
		}
		h.mu.Unlock()
		close(ch)
	})
	return ch, nil
}

// run keeps the pattern subscription alive until the client is closed. After
// a reconnection every watcher is signalled: changes may have been missed.
func (h *Hub) run() {
	var once sync.Once
	ctx := valkey.WithOnSubscriptionHook(context.Background(), func(valkey.PubSubSubscription) {
		once.Do(func() { close(h.ready) })
	})
	for {
		err := h.c.Receive(ctx, h.c.B().Psubscribe().Pattern(h.topic+"*").Build(), func(m valkey.PubSubMessage) {
			h.signal(strings.TrimPrefix(m.Channel, h.topic))
		})
		if errors.Is(err, valkey.ErrClosing) {
			return
		}
		h.log.Warn("hub: subscription lost; resubscribing", "err", err)
		time.Sleep(500 * time.Millisecond)
		h.signalAll()
	}
}

func (h *Hub) signal(room string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.watchers[room] {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}

func (h *Hub) signalAll() {
	h.mu.Lock()
	rooms := make([]string, 0, len(h.watchers))
	for room := range h.watchers {
		rooms = append(rooms, room)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		h.signal(r)
	}
}
