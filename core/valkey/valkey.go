// Package valkey keeps the core's shared, short-lived state in Valkey (or
// Redis): lobby entries, presence, rate limits and webhook deduplication.
package valkey

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Client is a connection to Valkey whose keys all start with Prefix, so that
// several deployments, or parallel tests, can share one server.
type Client struct {
	valkey.Client
	Prefix string
}

// Option configures Open.
type Option func(*valkey.ClientOption)

// WithPassword authenticates with the given password (and user, if not empty).
func WithPassword(user, password string) Option {
	return func(o *valkey.ClientOption) { o.Username, o.Password = user, password }
}

// retryDelay lets valkey-go retry a read-only command twice after a network
// error (a fail-over's blip: 50 then 100 ms), then gives up. Unbounded, as
// by default, it retries until the request's context ends: while Valkey is
// down an RPC without a deadline would hang instead of answering
// Unavailable.
func retryDelay(attempts int, _ valkey.Completed, _ error) time.Duration {
	if attempts >= 2 {
		return -1
	}
	return 50 * time.Millisecond << attempts
}

// Open connects to the server at addr. Client-side caching is enabled on Valkey
// and turned off on the Redis fallback, where the project does not rely on it.
func Open(ctx context.Context, addr, prefix string, opts ...Option) (*Client, error) {
	o := valkey.ClientOption{InitAddress: []string{addr}, DisableCache: true, RetryDelay: retryDelay}
	for _, opt := range opts {
		opt(&o)
	}
	c, err := valkey.NewClient(o)
	if err != nil {
		return nil, fmt.Errorf("valkey: connect %s: %w", addr, err)
	}
	info, err := c.Do(ctx, c.B().Info().Section("server").Build()).ToString()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("valkey: info: %w", err)
	}
	if strings.Contains(info, "valkey_version:") {
		c.Close()
		o.DisableCache = false
		if c, err = valkey.NewClient(o); err != nil {
			return nil, fmt.Errorf("valkey: connect %s: %w", addr, err)
		}
	}
	return &Client{Client: c, Prefix: prefix}, nil
}

// Key returns the full key for name: the client's prefix followed by name.
func (c *Client) Key(name string) string { return c.Prefix + name }

// Ping checks the server answers; readiness probes call it.
func (c *Client) Ping(ctx context.Context) error {
	return c.Do(ctx, c.B().Ping().Build()).Error()
}
