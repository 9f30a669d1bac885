package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
)

// DefaultPINRetries bounds the PINs tried in one trunk before moving on to
// the next. Collisions are rare while a namespace is sparse (10 digits, a
// million rooms: one in 10,000), so five misses in a row mean it is full.
const DefaultPINRetries = 5

// candidate is a trunk a PIN may be taken in.
type candidate struct {
	id, name  string
	pinLength int
}

// pinAssigner holds the PIN-assignment policy: the trunks in the order given
// (least-loaded first), a bounded number of random PINs in each. It knows
// nothing of SQL so that BenchmarkPINNamespace simulates the very same loop.
type pinAssigner struct {
	random     io.Reader // nil: crypto/rand; must be safe for concurrent use
	retries    int
	collisions *prometheus.CounterVec
	failures   prometheus.Counter
}

func newPINAssigner() *pinAssigner {
	return &pinAssigner{
		retries: DefaultPINRetries,
		collisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetline_pin_collisions_total",
			Help: "PINs drawn for a room that another room of the trunk already held.",
		}, []string{"trunk"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meetline_pin_assignment_failures_total",
			Help: "Rooms left without a PIN because every enabled trunk's draws collided.",
		}),
	}
}

// register adds the counters to reg, reusing the ones already there so that
// several services may share a registry.
func (a *pinAssigner) register(reg prometheus.Registerer) error {
	if err := reg.Register(a.collisions); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return err
		}
		a.collisions = are.ExistingCollector.(*prometheus.CounterVec)
	}
	if err := reg.Register(a.failures); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return err
		}
		a.failures = are.ExistingCollector.(prometheus.Counter)
	}
	return nil
}

// errNoPIN reports that every draw in every trunk collided.
var errNoPIN = errors.New("every PIN drawn was taken")

// errNoTrunk is assign's answer when there is no trunk to draw in:
// telephony is off or no trunk is enabled. The room simply has no dial-in;
// it is not a failure to count.
var errNoTrunk = errors.New("no trunk to give a PIN in")

// assign draws PINs and calls take with each until one is taken: take
// reports false when the PIN is already used in that trunk (a collision),
// and errors end the loop. It returns the trunk and PIN taken, or errNoPIN
// (counted as a failure) when all trunks' attempts collided.
func (a *pinAssigner) assign(ctx context.Context, trunks []candidate, take func(c candidate, pin string) (bool, error)) (candidate, string, error) {
	if len(trunks) == 0 {
		return candidate{}, "", errNoTrunk
	}
	for _, c := range trunks {
		for range a.retries {
			if err := ctx.Err(); err != nil {
				return candidate{}, "", err
			}
			pin, err := core.NewPIN(a.random, c.pinLength)
			if err != nil {
				return candidate{}, "", fmt.Errorf("trunk %s: %w", c.name, err)
			}
			ok, err := take(c, pin)
			if err != nil {
				return candidate{}, "", err
			}
			if ok {
				return c, pin, nil
			}
			a.collisions.WithLabelValues(c.name).Inc()
		}
	}
	a.failures.Inc()
	return candidate{}, "", errNoPIN
}
