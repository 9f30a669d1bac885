package sipgate

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
)

// Errors of [Core]; test with errors.Is. Any other error is a core failure (the caller hears "unavailable").
var (
	// ErrUnknownNumber: no enabled trunk owns the called number (INVITE → 404).
	ErrUnknownNumber = errors.New("sipgate: number belongs to no enabled trunk")
	// ErrWrongPIN: no room has this PIN on this number.
	ErrWrongPIN = errors.New("sipgate: wrong PIN")
	// ErrLimited: the caller or the trunk made too many failed attempts.
	ErrLimited = errors.New("sipgate: too many failed PIN attempts")
	// ErrCoreUnavailable: the core did not answer, after retries (INVITE → 503).
	ErrCoreUnavailable = errors.New("sipgate: core unavailable")
)

// Trunk is what the core says about a called number.
type Trunk struct {
	E164, ID, Language string
	// Refer says to transfer the trunk's callers to LiveKit with REFER (RFC 3515) rather than bridge them.
	Refer bool
}

// PINCaller is who typed a PIN, for the core's failure budgets (docs/security.md): the caller id counts as
// the caller's own only when Trusted (asserted by a carrier in SIPGATE_TRUSTED_PROXIES); otherwise the call
// does.
type PINCaller struct {
	ID      string // the caller's number or SIP user; may be empty
	Trusted bool
	CallID  string // the caller leg's Call-ID
}

// Room is the room a PIN opens.
type Room struct {
	ID, LiveKitRoom, Name, Language string
}

// Core is the part of the core's TelephonyService sipgate uses. [CoreClient] implements it.
type Core interface {
	LookupNumber(ctx context.Context, called string) (Trunk, error)
	ResolvePin(ctx context.Context, called, pin string, from PINCaller) (Room, error)
	// JoinRoom calls on with each status of the caller's way into the room until a final one (then it
	// returns nil), or returns the error that broke the wait: ctx's cause, or the core's failure.
	JoinRoom(ctx context.Context, req JoinRequest, on func(Admission)) error
	// ReportHandoffFailure tells the core that LiveKit refused or never answered a hand-off, so that it
	// checks at once the SIP trunk and rule it keeps in LiveKit (lost when LiveKit's Redis is emptied).
	ReportHandoffFailure(ctx context.Context, f HandoffFailure) error
	// PhoneCommand carries out a bridged caller's keypad command in the meeting (callID is the value sipgate
	// sent LiveKit as X-Meet-Call-Id) and returns the caller's new state.
	PhoneCommand(ctx context.Context, callID, roomID string, cmd KeypadCommand) (PhoneState, error)
}

// HandoffFailure is a hand-off into LiveKit that failed.
type HandoffFailure struct {
	LiveKitRoom, CallID string
	// SIPStatus is LiveKit's final answer to the leg (404, 503…); 0 when none came (timeout, transport).
	SIPStatus int
	// Reason is the reason phrase or the error, for the core's log; never the caller's number.
	Reason string
}

// maxHandoffReason is the longest reason the core takes.
const maxHandoffReason = 256

// Retry policy of [CoreClient]: an Unavailable answer is retried twice more, after 100 ms then 200 ms.
const (
	coreRetries = 2
	coreBackoff = 100 * time.Millisecond
)

// CoreClient calls the core's TelephonyService with the sipgate service token. Each attempt has its own
// deadline; Unavailable (the core is down or restarting) is retried; LookupNumber answers are cached.
type CoreClient struct {
	rpc     meetlinev1connect.TelephonyServiceClient
	timeout time.Duration
	backoff time.Duration
	outage  time.Duration // how long JoinRoom reconnects to a core that is away
	lookups *lookupCache
}

// NewCoreClient returns a client for the core at cfg.URL.
func NewCoreClient(cfg CoreConfig) *CoreClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
	timeout := cfg.ResolveTimeout
	if timeout <= 0 {
		timeout = DefaultCoreConfig().ResolveTimeout
	}
	return &CoreClient{
		rpc:     meetlinev1connect.NewTelephonyServiceClient(hc, cfg.URL, connect.WithInterceptors(bearer("Bearer "+cfg.Token))),
		timeout: timeout,
		backoff: coreBackoff,
		outage:  joinOutage,
		lookups: newLookupCache(lookupCacheTTL, lookupCacheSize),
	}
}

// LookupNumber returns the trunk that owns called, from the cache when it answered within the last 30 s.
func (c *CoreClient) LookupNumber(ctx context.Context, called string) (Trunk, error) {
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
		t := Trunk{E164: res.E164, ID: res.TrunkId, Language: res.Language, Refer: res.Handoff == meetlinev1.Handoff_HANDOFF_REFER}
		c.lookups.put(called, t, nil, time.Now())
		return t, nil
	case code == connect.CodeNotFound, code == connect.CodeInvalidArgument:
		c.lookups.put(called, Trunk{}, ErrUnknownNumber, time.Now())
		return Trunk{}, ErrUnknownNumber
	default:
		return Trunk{}, coreError(err)
	}
}

// ResolvePin asks which room pin opens on the called number. On a number under attack the core gives a
// wrong PIN a tarpit: ResolvePin waits it out before it returns ErrWrongPIN, so that the caller hears
// "invalid PIN", and may type again, only then. When the core paces the number's attempts it has not looked
// at the PIN: ResolvePin submits it again when told, as long as ctx lasts.
func (c *CoreClient) ResolvePin(ctx context.Context, called, pin string, from PINCaller) (Room, error) {
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
				return Room{}, err
			}
			return Room{}, ErrWrongPIN
		case connect.CodeResourceExhausted:
			return Room{}, ErrLimited
		}
		if err != nil {
			return Room{}, coreError(err)
		}
		if res.RetryAfter == nil {
			return Room{ID: res.RoomId, LiveKitRoom: res.LivekitRoom, Name: res.RoomName, Language: res.Language}, nil
		}
		if err := sleep(ctx, res.RetryAfter.AsDuration()); err != nil {
			return Room{}, err
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
func (c *CoreClient) ReportHandoffFailure(ctx context.Context, f HandoffFailure) error {
	reason := f.Reason
	if len(reason) > maxHandoffReason {
		reason = strings.ToValidUTF8(reason[:maxHandoffReason], "")
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

// keypadCommands maps [KeypadCommand] to the API's.
var keypadCommands = [...]meetlinev1.KeypadCommand{
	KeypadToggleMute: meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE,
	KeypadToggleHand: meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_HAND,
	KeypadStatus:     meetlinev1.KeypadCommand_KEYPAD_COMMAND_STATUS,
}

// PhoneCommand asks the core to carry out cmd. It is tried once: a toggle the core may have applied must not
// be applied twice, and the caller can press the keys again.
func (c *CoreClient) PhoneCommand(ctx context.Context, callID, roomID string, cmd KeypadCommand) (PhoneState, error) {
	if int(cmd) >= len(keypadCommands) || cmd == KeypadNone {
		return PhoneState{}, fmt.Errorf("sipgate: keypad command %d", cmd)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.rpc.PhoneCommand(ctx, &meetlinev1.PhoneCommandRequest{CallId: callID, RoomId: roomID, Command: keypadCommands[cmd]})
	if err != nil {
		return PhoneState{}, coreError(err)
	}
	return PhoneState{Muted: res.Muted, HandRaised: res.HandRaised, UnmuteRefused: res.UnmuteRefused,
		Participants: int(res.Participants)}, nil
}

// retry runs fn with a deadline of c.timeout, again after a backoff while it answers Unavailable.
func (c *CoreClient) retry(ctx context.Context, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		err := fn(actx)
		cancel()
		if err == nil || attempt == coreRetries || connect.CodeOf(err) != connect.CodeUnavailable {
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

// coreError keeps a context error as it is (the call ended), and marks the rest as the core's failure.
func coreError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded:
		return fmt.Errorf("%w: %v", ErrCoreUnavailable, err)
	}
	return fmt.Errorf("sipgate: core: %w", err)
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
