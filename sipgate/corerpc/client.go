// Package corerpc is sipgate's client of the core's TelephonyService over Connect: it implements
// [sipgate.Core] and [sipgate.RecordSink] with the sipgate service token, a deadline per attempt, retries
// while the core is unavailable, and a cache of number lookups. It speaks HTTP/2 (h2c to http:// URLs), so
// that the callers' long streams and the unary calls share a few connections (transport.go).
package corerpc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
	"github.com/meetline/meetline/sipgate"
)

// Retry policy of [Client]: an Unavailable answer is retried twice more, after 100 ms then 200 ms.
const (
	coreRetries = 2
	coreBackoff = 100 * time.Millisecond
)

// Client calls the core's TelephonyService with the sipgate service token. Each attempt has its own
// deadline; Unavailable (the core is down or restarting) is retried; LookupNumber answers are cached.
type Client struct {
	rpc     meetlinev1connect.TelephonyServiceClient
	timeout time.Duration
	backoff time.Duration
	outage  time.Duration // how long JoinRoom reconnects to a core that is away
	lookups *lookupCache
}

// New returns a client for the core at cfg.URL, speaking cfg.HTTP.
func New(cfg sipgate.CoreConfig) *Client { return newClient(cfg, newTransport(cfg.HTTP)) }

func newClient(cfg sipgate.CoreConfig, tr http.RoundTripper) *Client {
	hc := &http.Client{Transport: tr}
	timeout := cfg.ResolveTimeout
	if timeout <= 0 {
		timeout = sipgate.DefaultCoreConfig().ResolveTimeout
	}
	return &Client{
		rpc:     meetlinev1connect.NewTelephonyServiceClient(hc, cfg.URL, connect.WithInterceptors(bearer("Bearer "+cfg.Token))),
		timeout: timeout,
		backoff: coreBackoff,
		outage:  joinOutage,
		lookups: newLookupCache(lookupCacheTTL, lookupCacheSize),
	}
}

// LookupNumber returns the trunk that owns called, from the cache when it answered within the last 30 s.
func (c *Client) LookupNumber(ctx context.Context, called string) (sipgate.Trunk, error) {
	if t, err, ok := c.lookups.get(called, time.Now()); ok {
		return t, err
	}
	var res *meetlinev1.LookupNumberResponse
	err := c.retry(ctx, func(ctx context.Context) (err error) {
		res, err = c.rpc.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: called})
		return err
	})
	switch code := connect.CodeOf(err); {
	case err == nil:
		t := sipgate.Trunk{E164: res.E164, ID: res.TrunkId, Language: res.Language, Refer: res.Handoff == meetlinev1.Handoff_HANDOFF_REFER}
		c.lookups.put(called, t, nil, time.Now())
		return t, nil
	case code == connect.CodeNotFound, code == connect.CodeInvalidArgument:
		c.lookups.put(called, sipgate.Trunk{}, sipgate.ErrUnknownNumber, time.Now())
		return sipgate.Trunk{}, sipgate.ErrUnknownNumber
	default:
		return sipgate.Trunk{}, coreError(err)
	}
}

// ResolvePin asks which room pin opens on the called number. On a number under attack the core gives a
// wrong PIN a tarpit: ResolvePin waits it out before it returns sipgate.ErrWrongPIN, so that the caller hears
// "invalid PIN", and may type again, only then. When the core paces the number's attempts it has not looked
// at the PIN: ResolvePin submits it again when told, as long as ctx lasts.
func (c *Client) ResolvePin(ctx context.Context, called, pin string, from sipgate.PINCaller) (sipgate.Room, error) {
	req := &meetlinev1.ResolvePinRequest{CalledNumber: called, Pin: pin, CallerId: from.ID, CallerTrusted: from.Trusted, CallId: from.CallID}
	for {
		var res *meetlinev1.ResolvePinResponse
		err := c.retry(ctx, func(ctx context.Context) (err error) {
			res, err = c.rpc.ResolvePin(ctx, req)
			return err
		})
		switch connect.CodeOf(err) {
		case connect.CodeNotFound:
			if err := sleep(ctx, retryDelay(err)); err != nil {
				return sipgate.Room{}, err
			}
			return sipgate.Room{}, sipgate.ErrWrongPIN
		case connect.CodeResourceExhausted:
			return sipgate.Room{}, sipgate.ErrLimited
		}
		if err != nil {
			return sipgate.Room{}, coreError(err)
		}
		if res.RetryAfter == nil {
			return sipgate.Room{ID: res.RoomId, LiveKitRoom: res.LivekitRoom, Name: res.RoomName, Language: res.Language}, nil
		}
		if err := sleep(ctx, res.RetryAfter.AsDuration()); err != nil {
			return sipgate.Room{}, err
		}
	}
}

// retryDelay reads the google.rpc.RetryInfo detail of a Connect error: 0 without one.
func retryDelay(err error) time.Duration {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return 0
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if ri, ok := v.(*errdetails.RetryInfo); ok {
				return min(ri.RetryDelay.AsDuration(), maxCoreDelay)
			}
		}
	}
	return 0
}

// maxCoreDelay bounds any delay the core asks for (PIN_TARPIT_MAX is 30 s by default).
const maxCoreDelay = time.Minute

// sleep waits d, or returns ctx's error if ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(min(d, maxCoreDelay))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// ReportHandoffFailure sends f to the core, retried like the other calls; a reason too long for the
// core is cut.
func (c *Client) ReportHandoffFailure(ctx context.Context, f sipgate.HandoffFailure) error {
	reason := f.Reason
	if len(reason) > sipgate.MaxHandoffReason {
		reason = strings.ToValidUTF8(reason[:sipgate.MaxHandoffReason], "")
	}
	req := &meetlinev1.ReportHandoffFailureRequest{LivekitRoom: f.LiveKitRoom, CallId: f.CallID,
		SipStatus: int32(f.SIPStatus), Reason: reason}
	err := c.retry(ctx, func(ctx context.Context) error {
		_, err := c.rpc.ReportHandoffFailure(ctx, req)
		return err
	})
	if err != nil {
		return coreError(err)
	}
	return nil
}

// keypadCommands maps [sipgate.KeypadCommand] to the API's.
var keypadCommands = [...]meetlinev1.KeypadCommand{
	sipgate.KeypadToggleMute: meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE,
	sipgate.KeypadToggleHand: meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_HAND,
	sipgate.KeypadStatus:     meetlinev1.KeypadCommand_KEYPAD_COMMAND_STATUS,
}

// PhoneCommand asks the core to carry out cmd. It is tried once: a toggle the core may have applied must not
// be applied twice, and the caller can press the keys again.
func (c *Client) PhoneCommand(ctx context.Context, callID, roomID string, cmd sipgate.KeypadCommand) (sipgate.PhoneState, error) {
	if int(cmd) >= len(keypadCommands) || cmd == sipgate.KeypadNone {
		return sipgate.PhoneState{}, fmt.Errorf("corerpc: keypad command %d", cmd)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.rpc.PhoneCommand(ctx, &meetlinev1.PhoneCommandRequest{CallId: callID, RoomId: roomID, Command: keypadCommands[cmd]})
	if err != nil {
		return sipgate.PhoneState{}, coreError(err)
	}
	return sipgate.PhoneState{Muted: res.Muted, HandRaised: res.HandRaised, UnmuteRefused: res.UnmuteRefused,
		Participants: int(res.Participants)}, nil
}

// retry runs fn with a deadline of c.timeout, again after a backoff while it answers Unavailable.
func (c *Client) retry(ctx context.Context, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		err := fn(actx)
		cancel()
		if err == nil || attempt == coreRetries || !unreachable(err) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(c.backoff * time.Duration(attempt+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// unreachable says whether err means the core could not be reached or could not answer: Unavailable, or
// a connection that failed under the call, which Connect reports as Canceled when a write finds it closed
// or reset (EPIPE, ECONNRESET), as it would a call its caller cancelled: the caller's context tells them
// apart.
func unreachable(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable:
		return true
	case connect.CodeCanceled:
		return !connect.IsWireError(err) && !errors.Is(err, context.Canceled)
	}
	return false
}

// coreError keeps a context error as it is (the call ended), and marks the rest as the core's failure.
func coreError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	if unreachable(err) || connect.CodeOf(err) == connect.CodeDeadlineExceeded {
		return fmt.Errorf("%w: %v", sipgate.ErrCoreUnavailable, err)
	}
	return fmt.Errorf("corerpc: core: %w", err)
}

// bearer is the Authorization header, "Bearer <service token>", that every call carries. It is set as
// an interceptor, on the call's own headers: a RoundTripper may not modify the request it is given and
// would copy it first, a score of allocations per call.
type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", string(b))
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", string(b))
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// OpenTransfer asks the core for a transfer's target. It is tried once: the caller is waiting, and
// sipgate bridges the call when it fails.
func (c *Client) OpenTransfer(ctx context.Context, callID, roomID, role string) (sipgate.Transfer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.rpc.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: roomID, CallId: callID, Role: roleOf(role)})
	if err != nil {
		return sipgate.Transfer{}, coreError(err)
	}
	return sipgate.Transfer{Target: res.TargetUser, Expires: res.ExpireTime.AsTime()}, nil
}

// CloseTransfer closes a transfer, retried like the other calls (closing twice is harmless).
func (c *Client) CloseTransfer(ctx context.Context, target string) error {
	err := c.retry(ctx, func(ctx context.Context) error {
		_, err := c.rpc.CloseTransfer(ctx, &meetlinev1.CloseTransferRequest{TargetUser: target})
		return err
	})
	if err != nil {
		return coreError(err)
	}
	return nil
}
