package valkey_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

// TestStreamSlots: a key holds Max streams at once, across replicas (two
// clients); a full key refuses without holding anything under the others;
// an ended stream frees its slot; a dead holder's slot expires with its lease.
func TestStreamSlots(t *testing.T) {
	t.Parallel()
	c := testenv.Valkey(t)
	a, b := valkey.NewStreamSlots(c, 300*time.Millisecond), valkey.NewStreamSlots(replica(t, c), 300*time.Millisecond)
	ticket := core.StreamLimit{Key: "t:1", Max: 2}
	addr := core.StreamLimit{Key: "a:1", Max: 3}
	hold := func(s *valkey.StreamSlots, limits ...core.StreamLimit) (context.CancelFunc, error) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		return cancel, s.Hold(ctx, limits...)
	}
	first, err := hold(a, ticket, addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold(b, ticket, addr); err != nil {
		t.Fatal(err)
	}
	if _, err := hold(a, ticket, addr); core.Code(err) != core.ELIMITED {
		t.Fatalf("third stream on the ticket: %v, want limited", err)
	}
	// The refused stream holds no address slot: one more fits there.
	if _, err := hold(b, core.StreamLimit{Key: "t:2", Max: 2}, addr); err != nil {
		t.Fatalf("another ticket from the address: %v", err)
	}
	if _, err := hold(b, core.StreamLimit{Key: "t:3", Max: 2}, addr); core.Code(err) != core.ELIMITED {
		t.Fatalf("fourth stream from the address: %v, want limited", err)
	}
	// Leases outlive their first term while the streams last.
	time.Sleep(700 * time.Millisecond)
	if _, err := hold(a, ticket); core.Code(err) != core.ELIMITED {
		t.Fatalf("after renewals: %v, want limited", err)
	}
	first()
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := hold(a, ticket)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an ended stream's slot is not freed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStreamSlotsExpire: a holder that stops renewing (its replica died)
// frees its slot once the lease runs out.
func TestStreamSlotsExpire(t *testing.T) {
	t.Parallel()
	c := testenv.Valkey(t)
	dead := replica(t, c)
	s := valkey.NewStreamSlots(dead, 300*time.Millisecond)
	limit := core.StreamLimit{Key: "t:1", Max: 1}
	if err := s.Hold(context.Background(), limit); err != nil {
		t.Fatal(err)
	}
	dead.Close() // no renewal, no removal
	other := valkey.NewStreamSlots(c, 300*time.Millisecond)
	if err := other.Hold(t.Context(), limit); core.Code(err) != core.ELIMITED {
		t.Fatalf("while the lease lasts: %v, want limited", err)
	}
	time.Sleep(400 * time.Millisecond)
	if err := other.Hold(t.Context(), limit); err != nil {
		t.Fatalf("after the lease: %v", err)
	}
}
