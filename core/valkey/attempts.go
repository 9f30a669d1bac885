package valkey

import (
	"context"
	"fmt"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// PINAttempts implements core.PINAttempts with fixed-window counters and two
// scripts, so that a check and a failure are each one atomic round trip
// (Valkey's clock decides, whichever core replica asks).
// Every key of a number carries it as a hash tag: in a cluster they share a
// slot, as a script needs.
type PINAttempts struct {
	c *Client
	// The scripts' arguments that come from the policy, formatted once.
	srcMax, numMax, pace, numWindow, srcWindow, attack, tarpitStep, tarpitMax string
}

var _ core.PINAttempts = (*PINAttempts)(nil)

// NewPINAttempts returns a limiter applying p.
func NewPINAttempts(c *Client, p core.PINPolicy) *PINAttempts {
	return &PINAttempts{c: c,
		srcMax: itoa(p.Source.Max), numMax: itoa(p.Number.Max), pace: ms(p.Pace()),
		numWindow: ms(p.Number.Window), srcWindow: ms(p.Source.Window), attack: itoa(max(p.Attack, 1)),
		tarpitStep: fmt.Sprint(p.TarpitStep.Milliseconds()), tarpitMax: fmt.Sprint(p.TarpitMax.Milliseconds())}
}

// pinKeys are one attempt's keys: the source's failures and tarpit, the
// number's failures and the time of its next paced attempt.
type pinKeys struct {
	srcFails, srcTarpit, numFails, numNext string
}

// keys names src's and called's keys: "<prefix>pin:{<number>}:" then
// "src:<source key>:fails", "src:<source key>:tarpit", "fails" and "next"
// (an empty source key is the number's anonymous pool). The four are cut
// from one string: one allocation a check, not a dozen.
func (a *PINAttempts) keys(src core.PINSource, called core.PhoneNumber) pinKeys {
	var buf [512]byte
	b := append(append(append(buf[:0], a.c.Prefix...), "pin:{"...), called...)
	b = append(b, "}:"...)
	n := len(b) // the number's part, which every key starts with
	b = append(b, "src:"...)
	b = src.AppendKey(b)
	s := len(b) // the source's part
	var end [4]int
	b = append(b, ":fails"...)
	end[0] = len(b)
	b = append(append(b, b[:s]...), ":tarpit"...)
	end[1] = len(b)
	b = append(append(b, b[:n]...), "fails"...)
	end[2] = len(b)
	b = append(append(b, b[:n]...), "next"...)
	end[3] = len(b)
	all := string(b)
	return pinKeys{srcFails: all[:end[0]], srcTarpit: all[end[0]:end[1]], numFails: all[end[1]:end[2]], numNext: all[end[2]:end[3]]}
}

// checkScript answers {verdict, ms}: 0 look now; 1 limited, retry after ms;
// 2 paced, submit again after ms. A source past its own budget or in its
// tarpit is limited. While the number's failures are under its budget every
// attempt is looked at; past it, a trusted source with no failures of its
// own still is (ARGV[5] = 1: its budget is its own and cannot be rotated),
// and the others share one attempt per pace (ARGV[3] ms): whoever asks
// first once the pace has passed is looked at, the rest are told when to
// ask again. Nothing is reserved, so callers who give up cost nothing.
var checkScript = valkey.NewLuaScript(`
local sf = tonumber(redis.call('GET', KEYS[1]) or '0')
if sf >= tonumber(ARGV[1]) then return {1, redis.call('PTTL', KEYS[1])} end
local tp = redis.call('PTTL', KEYS[2])
if tp > 0 then return {1, tp} end
local nf = tonumber(redis.call('GET', KEYS[3]) or '0')
if nf < tonumber(ARGV[2]) then return {0, 0} end
if sf == 0 and ARGV[5] == '1' then return {0, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('GET', KEYS[4]) or '0')
if nxt > now then return {2, nxt - now} end
redis.call('SET', KEYS[4], now + tonumber(ARGV[3]), 'PX', ARGV[4])
return {0, 0}
`)

// failScript counts a failure for the source and the number (the window
// starts at a counter's first failure, so a trickle cannot keep it alive)
// and, when the number is under attack, sets the source's tarpit. It
// answers the tarpit in ms.
var failScript = valkey.NewLuaScript(`
local sf = redis.call('INCR', KEYS[1])
if sf == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local nf = redis.call('INCR', KEYS[3])
if nf == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
if nf < tonumber(ARGV[3]) then return 0 end
local d = math.floor(math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.min(sf - 1, 30)))
if d > 0 then redis.call('SET', KEYS[2], '1', 'PX', d) end
return d
`)

// Check implements core.PINAttempts.
func (a *PINAttempts) Check(ctx context.Context, src core.PINSource, called core.PhoneNumber) (time.Duration, error) {
	k := a.keys(src, called)
	trusted := "0"
	if src.Trusted && src.CallerID != "" {
		trusted = "1"
	}
	res, err := checkScript.Exec(ctx, a.c, []string{k.srcFails, k.srcTarpit, k.numFails, k.numNext},
		[]string{a.srcMax, a.numMax, a.pace, a.numWindow, trusted}).AsIntSlice()
	if err != nil || len(res) != 2 {
		return 0, fmt.Errorf("pin attempts: check: %w", err)
	}
	d := time.Duration(res[1]) * time.Millisecond
	switch res[0] {
	case 1:
		return 0, &core.Error{Code: core.ELIMITED, Message: "too many wrong PINs; try again later", RetryAfter: max(d, time.Second)}
	case 2:
		return d, nil
	}
	return 0, nil
}

// Fail implements core.PINAttempts.
func (a *PINAttempts) Fail(ctx context.Context, src core.PINSource, called core.PhoneNumber) (time.Duration, error) {
	k := a.keys(src, called)
	d, err := failScript.Exec(ctx, a.c, []string{k.srcFails, k.srcTarpit, k.numFails},
		[]string{a.srcWindow, a.numWindow, a.attack, a.tarpitStep, a.tarpitMax}).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("pin attempts: fail: %w", err)
	}
	return time.Duration(d) * time.Millisecond, nil
}

func itoa(n int) string { return fmt.Sprint(n) }

func ms(d time.Duration) string { return fmt.Sprint(max(d.Milliseconds(), 1)) }
