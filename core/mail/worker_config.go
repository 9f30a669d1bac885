package mail

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the worker. Eight attempts with a 30 s base wait about an
// hour in all (30 s, 1 m, 2 m … 32 m) before giving up: long enough to ride
// out an SMTP server's restart or a short outage.
const (
	DefaultPollInterval = 2 * time.Second
	DefaultBatchSize    = 20
	DefaultLease        = 10 * time.Minute
	DefaultMaxAttempts  = 8
	DefaultBackoffBase  = 30 * time.Second
	DefaultBackoffMax   = time.Hour
)

type workerConfig struct {
	poll        time.Duration
	batch       int
	lease       time.Duration
	maxAttempts int
	base, max   time.Duration
	registerer  prometheus.Registerer
	log         *slog.Logger
}

func defaultWorkerConfig() workerConfig {
	return workerConfig{
		poll: DefaultPollInterval, batch: DefaultBatchSize, lease: DefaultLease, maxAttempts: DefaultMaxAttempts,
		base: DefaultBackoffBase, max: DefaultBackoffMax, log: slog.New(slog.DiscardHandler),
	}
}

// WorkerOption configures a Worker.
type WorkerOption func(*workerConfig)

// WithPollInterval sets how often the worker looks for due messages when
// nothing wakes it.
func WithPollInterval(d time.Duration) WorkerOption { return func(c *workerConfig) { c.poll = d } }

// WithBatchSize sets how many messages one claim takes, and so one SMTP
// connection sends.
func WithBatchSize(n int) WorkerOption { return func(c *workerConfig) { c.batch = max(n, 1) } }

// WithLease sets how long a claim keeps other workers off its messages. It
// must outlast sending a batch (batch size × SMTP timeout), or a slow batch
// is sent twice.
func WithLease(d time.Duration) WorkerOption { return func(c *workerConfig) { c.lease = d } }

// WithMaxAttempts sets after how many failed attempts a message is given up
// and kept as failed.
func WithMaxAttempts(n int) WorkerOption { return func(c *workerConfig) { c.maxAttempts = max(n, 1) } }

// WithBackoff sets the wait after the first failure (doubled after each
// further one) and its ceiling.
func WithBackoff(base, ceiling time.Duration) WorkerOption {
	return func(c *workerConfig) { c.base, c.max = base, ceiling }
}

// WithMetrics registers the worker's counters with r.
func WithMetrics(r prometheus.Registerer) WorkerOption {
	return func(c *workerConfig) { c.registerer = r }
}

// WithLogger sets where the worker logs; it never logs an e-mail address.
func WithLogger(l *slog.Logger) WorkerOption { return func(c *workerConfig) { c.log = l } }

// backoff is the wait after the given failed attempt (1-based): base·2^(n-1),
// capped, of which a random half is kept ("equal jitter") so that messages
// that failed together — all of them, when the server was down — do not all
// come back at the same instant.
func (c *workerConfig) backoff(attempt int) time.Duration {
	d := c.max
	if attempt >= 1 && attempt < 32 {
		d = min(c.base<<(attempt-1), c.max)
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}
