package valkey

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// StreamSlots implements core.StreamSlots: one sorted set per key, whose
// members are the open streams scored by the expiry of their lease. A
// holder renews its lease every third of the lease's life and removes it
// when its stream ends; a replica that dies leaves leases that expire.
type StreamSlots struct {
	c     *Client
	lease time.Duration
}

var _ core.StreamSlots = (*StreamSlots)(nil)

// NewStreamSlots returns stream slots on c whose leases last lease.
func NewStreamSlots(c *Client, lease time.Duration) *StreamSlots {
	return &StreamSlots{c: c, lease: lease}
}

func (s *StreamSlots) key(k string) string { return s.c.Key("streams:" + k) }

// add drops expired leases, adds (or renews) id's, and returns each key's count.
func (s *StreamSlots) add(ctx context.Context, id string, limits []core.StreamLimit) ([]int64, error) {
	now := time.Now()
	b := s.c.B()
	var cmds valkey.Commands
	for _, l := range limits {
		k := s.key(l.Key)
		cmds = append(cmds,
			b.Zremrangebyscore().Key(k).Min("-inf").Max("("+strconv.FormatInt(now.UnixMilli(), 10)).Build(),
			b.Zadd().Key(k).ScoreMember().ScoreMember(float64(now.Add(s.lease).UnixMilli()), id).Build(),
			b.Zcard().Key(k).Build(),
			b.Pexpire().Key(k).Milliseconds(s.lease.Milliseconds()).Build())
	}
	res := s.c.DoMulti(ctx, cmds...)
	if err := firstError(res); err != nil {
		return nil, fmt.Errorf("stream slots: %w", err)
	}
	counts := make([]int64, len(limits))
	for i := range limits {
		counts[i], _ = res[4*i+2].AsInt64()
	}
	return counts, nil
}

func (s *StreamSlots) remove(ctx context.Context, id string, limits []core.StreamLimit) {
	b := s.c.B()
	var cmds valkey.Commands
	for _, l := range limits {
		cmds = append(cmds, b.Zrem().Key(s.key(l.Key)).Member(id).Build())
	}
	s.c.DoMulti(ctx, cmds...)
}

func (s *StreamSlots) Hold(ctx context.Context, limits ...core.StreamLimit) error {
	id := rand.Text()
	counts, err := s.add(ctx, id, limits)
	if err != nil {
		return err
	}
	for i, l := range limits {
		if counts[i] > int64(l.Max) {
			s.remove(context.WithoutCancel(ctx), id, limits)
			return &core.Error{Code: core.ELIMITED, Message: "too many streams open at once; close one and try again",
				RetryAfter: s.lease}
		}
	}
	go s.renew(ctx, id, limits)
	return nil
}

// renew keeps id's leases alive until ctx ends, then removes them.
func (s *StreamSlots) renew(ctx context.Context, id string, limits []core.StreamLimit) {
	t := time.NewTicker(s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			s.remove(rctx, id, limits)
			return
		case <-t.C:
			s.add(ctx, id, limits) // on failure the lease lapses: the stream stops counting, erring on the open side
		}
	}
}
