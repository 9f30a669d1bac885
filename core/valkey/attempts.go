package valkey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// PINAttempts implements core.PINAttempts with fixed-window counters: the
// first failure of a window creates the key with the window as its expiry,
// later failures increment it.
type PINAttempts struct {
	c              *Client
	caller, number core.AttemptLimit
}

var _ core.PINAttempts = (*PINAttempts)(nil)

// NewPINAttempts returns a limiter allowing caller failures per caller and
// number failures per dialled number.
func NewPINAttempts(c *Client, caller, number core.AttemptLimit) *PINAttempts {
	return &PINAttempts{c: c, caller: caller, number: number}
}

// keys returns the counters' keys. Caller ids are phone numbers: they are
// hashed so that no number is stored in clear; callers without an id share
// one counter per dialled number.
func (a *PINAttempts) keys(caller string, called core.PhoneNumber) (callerKey, numberKey string) {
	if caller == "" {
		caller = "anonymous@" + string(called)
	}
	sum := sha256.Sum256([]byte(caller))
	const callerPrefix, numberPrefix = "pin:fail:caller:", "pin:fail:number:"
	// Each key is built in one allocation: ResolvePin pays for them on every call.
	var ck strings.Builder
	var digest [24]byte
	ck.Grow(len(a.c.Prefix) + len(callerPrefix) + len(digest))
	ck.WriteString(a.c.Prefix)
	ck.WriteString(callerPrefix)
	ck.Write(hex.AppendEncode(digest[:0], sum[:12]))
	return ck.String(), a.c.Prefix + numberPrefix + string(called)
}

// Check reads both counters and their remaining lifetimes in one round trip.
func (a *PINAttempts) Check(ctx context.Context, caller string, called core.PhoneNumber) error {
	ck, nk := a.keys(caller, called)
	b := a.c.B()
	res := a.c.DoMulti(ctx,
		b.Get().Key(ck).Build(), b.Pttl().Key(ck).Build(),
		b.Get().Key(nk).Build(), b.Pttl().Key(nk).Build())
	limits := []core.AttemptLimit{a.caller, a.number}
	for i, limit := range limits {
		n, err := res[2*i].AsInt64()
		if valkey.IsValkeyNil(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pin attempts: %w", err)
		}
		if n < int64(limit.Max) {
			continue
		}
		ttl, err := res[2*i+1].AsInt64()
		if err != nil {
			return fmt.Errorf("pin attempts: %w", err)
		}
		return &core.Error{Code: core.ELIMITED, Message: "too many wrong PINs; try again later",
			RetryAfter: max(time.Duration(ttl)*time.Millisecond, time.Second)}
	}
	return nil
}

// Fail counts a failure on both counters in one round trip. EXPIRE NX sets
// the window on the first failure only, so a steady trickle cannot keep a
// counter alive forever.
func (a *PINAttempts) Fail(ctx context.Context, caller string, called core.PhoneNumber) error {
	ck, nk := a.keys(caller, called)
	b := a.c.B()
	secs := func(d time.Duration) int64 { return max(int64(d/time.Second), 1) }
	for _, r := range a.c.DoMulti(ctx,
		b.Incr().Key(ck).Build(), b.Expire().Key(ck).Seconds(secs(a.caller.Window)).Nx().Build(),
		b.Incr().Key(nk).Build(), b.Expire().Key(nk).Seconds(secs(a.number.Window)).Nx().Build()) {
		if err := r.Error(); err != nil {
			return fmt.Errorf("pin attempts: %w", err)
		}
	}
	return nil
}
