package lkbus_test

import (
	"context"
	"testing"
	"time"

	"github.com/livekit/psrpc/pkg/bus"
	"github.com/valkey-io/valkey-go"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/internal/standin/lkbus"
)

func newBus(t *testing.T) bus.MessageBus {
	t.Helper()
	vc, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{testenv.Getenv(t, "VALKEY_ADDR")}, DisableCache: true})
	if err != nil {
		t.Fatalf("valkey: %v", err)
	}
	t.Cleanup(vc.Close)
	return lkbus.New(vc)
}

func recv(sub bus.Subscription[*wrapperspb.StringValue], wait time.Duration) (string, bool) {
	select {
	case m := <-sub.Channel():
		return m.GetValue(), true
	case <-time.After(wait):
		return "", false
	}
}

// TestFanOutAndQueue: every plain subscriber gets a message; of two queue
// subscribers exactly one does, as with psrpc's redisbus.
func TestFanOutAndQueue(t *testing.T) {
	t.Parallel()
	b := newBus(t)
	ctx := context.Background()
	ch := bus.Channel{Legacy: testenv.Name("lkbus-test|")}
	var plain, queue []bus.Subscription[*wrapperspb.StringValue]
	for range 2 {
		p, err := bus.Subscribe[*wrapperspb.StringValue](ctx, b, ch, 4)
		if err != nil {
			t.Fatal(err)
		}
		q, err := bus.SubscribeQueue[*wrapperspb.StringValue](ctx, b, ch, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close(); q.Close() })
		plain, queue = append(plain, p), append(queue, q)
	}
	if err := b.Publish(ctx, ch, wrapperspb.String(testenv.Name("hello-"))); err != nil {
		t.Fatal(err)
	}
	for i, p := range plain {
		if _, ok := recv(p, 2*time.Second); !ok {
			t.Errorf("plain subscriber %d got nothing", i)
		}
	}
	got := 0
	for _, q := range queue {
		if _, ok := recv(q, 300*time.Millisecond); ok {
			got++
		}
	}
	if got != 1 {
		t.Errorf("%d queue subscribers got the message, want 1", got)
	}
}
