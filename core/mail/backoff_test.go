package mail

import (
	"testing"
	"time"
)

// TestBackoff: the wait doubles from the base after each failure, stays
// under the ceiling, and keeps a random half of itself ("equal jitter").
func TestBackoff(t *testing.T) {
	c := defaultWorkerConfig()
	WithBackoff(time.Second, time.Minute)(&c)
	for attempt, full := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 40: time.Minute,
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(attempt)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, full/2, full)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: only %d distinct waits in 50: no jitter", attempt, len(seen))
		}
	}
}

func TestICSDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "PT1H", -time.Minute: "PT1H", time.Hour: "PT1H", 90 * time.Minute: "PT1H30M", 45 * time.Minute: "PT45M",
		25 * time.Hour: "PT25H", 10 * time.Second: "PT1M",
	} {
		if got := icsDuration(d); got != want {
			t.Errorf("icsDuration(%v) = %s, want %s", d, got, want)
		}
	}
}
