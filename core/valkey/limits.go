package valkey

import (
	"context"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// RateLimiter implements core.RateLimiter with fixed-window counters.
type RateLimiter struct {
	c *Client
}

var _ core.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter counting on c.
func NewRateLimiter(c *Client) *RateLimiter { return &RateLimiter{c: c} }

// Allow counts the event and its window's expiry in one round trip; EXPIRE NX
// starts the window at the first event only.
func (r *RateLimiter) Allow(ctx context.Context, key string, limit core.AttemptLimit) error {
	k := r.c.Key("rate:" + key)
	b := r.c.B()
	res := r.c.DoMulti(ctx,
		b.Incr().Key(k).Build(),
		b.Expire().Key(k).Seconds(max(int64(limit.Window/time.Second), 1)).Nx().Build(),
		b.Pttl().Key(k).Build())
	n, err := res[0].AsInt64()
	if err != nil {
		return wrap("rate limit", err)
	}
	if n <= int64(limit.Max) {
		return nil
	}
	ttl, _ := res[2].AsInt64()
	return &core.Error{Code: core.ELIMITED, Message: "too many requests; try again later",
		RetryAfter: max(time.Duration(ttl)*time.Millisecond, time.Second)}
}

// AllowN adds n to every budget's counter (starting each window at its
// first event, as Allow), and takes them all back when one went over.
func (r *RateLimiter) AllowN(ctx context.Context, n int, budgets ...core.Budget) error {
	b := r.c.B()
	cmds := make(valkey.Commands, 0, 3*len(budgets))
	for _, bu := range budgets {
		k := r.c.Key("rate:" + bu.Key)
		cmds = append(cmds, b.Incrby().Key(k).Increment(int64(n)).Build(),
			b.Expire().Key(k).Seconds(max(int64(bu.Limit.Window/time.Second), 1)).Nx().Build(),
			b.Pttl().Key(k).Build())
	}
	res := r.c.DoMulti(ctx, cmds...)
	if err := firstError(res); err != nil {
		return wrap("rate limit", err)
	}
	for i, bu := range budgets {
		if total, _ := res[3*i].AsInt64(); total <= int64(bu.Limit.Max) {
			continue
		}
		undo := make(valkey.Commands, len(budgets))
		for j, bu := range budgets {
			undo[j] = b.Decrby().Key(r.c.Key("rate:" + bu.Key)).Decrement(int64(n)).Build()
		}
		if err := firstError(r.c.DoMulti(ctx, undo...)); err != nil {
			return wrap("rate limit", err)
		}
		ttl, _ := res[3*i+2].AsInt64()
		return &core.Error{Code: core.ELIMITED, Message: bu.Message,
			RetryAfter: max(time.Duration(ttl)*time.Millisecond, time.Second)}
	}
	return nil
}

// Deduplicator implements core.Deduplicator with SET NX.
type Deduplicator struct {
	c *Client
}

var _ core.Deduplicator = (*Deduplicator)(nil)

// NewDeduplicator returns a deduplicator remembering ids on c.
func NewDeduplicator(c *Client) *Deduplicator { return &Deduplicator{c: c} }

func (d *Deduplicator) FirstSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	err := d.c.Do(ctx, d.c.B().Set().Key(d.c.Key("seen:"+id)).Value("1").Nx().Ex(ttl).Build()).Error()
	if err == nil {
		return true, nil
	}
	if valkey.IsValkeyNil(err) {
		return false, nil
	}
	return false, wrap("dedupe", err)
}

func (d *Deduplicator) Forget(ctx context.Context, id string) error {
	return wrap("dedupe", d.c.Do(ctx, d.c.B().Del().Key(d.c.Key("seen:"+id)).Build()).Error())
}
