package caller

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is one step of a load profile: calls per second, for a while.
type Rate struct {
	PerSecond float64
	Duration  time.Duration
}

// ParseProfile reads a step profile, "50,100,150@10s,200": comma-separated rates in calls per second,
// each optionally followed by @ and how long it lasts (a Go duration); a rate without one lasts def.
// Rates must be positive, durations at least one second.
func ParseProfile(s string, def time.Duration) ([]Rate, error) {
	var out []Rate
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		rate, dur, hasDur := strings.Cut(f, "@")
		r, err := strconv.ParseFloat(strings.TrimSpace(rate), 64)
		if err != nil || r <= 0 || r > 100000 {
			return nil, fmt.Errorf("caller: profile step %q: want a rate of calls per second above 0", f)
		}
		d := def
		if hasDur {
			if d, err = time.ParseDuration(strings.TrimSpace(dur)); err != nil {
				return nil, fmt.Errorf("caller: profile step %q: %w", f, err)
			}
		}
		if d < time.Second {
			return nil, fmt.Errorf("caller: profile step %q: a step lasts at least 1s", f)
		}
		out = append(out, Rate{PerSecond: r, Duration: d})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("caller: empty profile %q", s)
	}
	return out, nil
}
