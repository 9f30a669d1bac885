package sipgate

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInflightWait(t *testing.T) {
	f := newInflight()
	if err := f.wait(context.Background()); err != nil {
		t.Fatalf("wait with nothing in flight: %v", err)
	}

	f.begin()
	f.begin()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := f.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait with work in flight = %v, want DeadlineExceeded", err)
	}

	done := make(chan error, 1)
	go func() { done <- f.wait(context.Background()) }()
	f.end()
	select {
	case err := <-done:
		t.Fatalf("wait returned (%v) with one still in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	f.end()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("wait did not return once idle")
	}

	f.begin() // usable again after reaching zero
	if got := f.count(); got != 1 {
		t.Errorf("count = %d, want 1", got)
	}
	f.end()
}
