package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// TokenVerifier checks an identity provider's bearer token.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (core.Claims, error)
}

// ServiceToken authenticates a service (sipgate, an operator's tool).
type ServiceToken struct {
	Service string
	Token   string
}

// ParseServiceTokens reads "name:token,name:token"; names are sipgate and operator.
func ParseServiceTokens(s string) ([]ServiceToken, error) {
	var out []ServiceToken
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, token, ok := strings.Cut(part, ":")
		if !ok || token == "" || (name != ServiceSipgate && name != ServiceOperator) {
			return nil, fmt.Errorf("service token %q: want sipgate:<token> or operator:<token>", name)
		}
		if len(token) < minServiceToken {
			return nil, fmt.Errorf("service token for %s: want at least %d characters", name, minServiceToken)
		}
		out = append(out, ServiceToken{Service: name, Token: token})
	}
	return out, nil
}

// minServiceToken is the shortest service token accepted: 256 bits if random.
const minServiceToken = 32

// The services that authenticate with a token from configuration.
const (
	ServiceSipgate  = "sipgate"
	ServiceOperator = "operator"
)

// serviceOnly says which service alone may call each service-facing API;
// users may not (but operators, see operatorOK), and services may call
// nothing else.
var serviceOnly = map[string]string{
	meetlinev1connect.TelephonyServiceName: ServiceSipgate,
	meetlinev1connect.TrunkServiceName:     ServiceOperator,
	meetlinev1connect.CallServiceName:      ServiceOperator,
	meetlinev1connect.OperatorServiceName:  ServiceOperator,
}

// operatorOK lists the operator service's APIs that users with the operator
// role may call too, signed in as themselves from the console. Granting the
// role (OperatorService) stays with the token: an operator cannot make more.
var operatorOK = map[string]bool{
	meetlinev1connect.TrunkServiceName: true,
	meetlinev1connect.CallServiceName:  true,
}

// anonymousOK lists the procedures that need no sign-in.
var anonymousOK = map[string]bool{
	meetlinev1connect.ConfigServiceGetConfigProcedure:   true,
	meetlinev1connect.RoomServiceGetRoomProcedure:       true,
	meetlinev1connect.LobbyServiceRequestEntryProcedure: true,
	meetlinev1connect.LobbyServiceWatchEntryProcedure:   true,
	// The callback id is the secret (core.RoomCallbacks).
	meetlinev1connect.RoomServiceGetCreationCallbackProcedure: true,
	meetlinev1connect.RoomServiceRefreshTokenProcedure:        true,
}

// authenticator turns the Authorization header into the request's core.Caller
// and enforces who may call which procedure; handlers check room roles.
type authenticator struct {
	verifier   TokenVerifier
	userinfo   *userInfoCache // nil when the verifier cannot ask for userinfo
	users      core.UserService
	services   []serviceKey
	matchEmail bool
}

func (a *authenticator) caller(ctx context.Context, header, accessToken string) (*core.Caller, error) {
	if header == "" {
		return &core.Caller{}, nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" { // RFC 6750 §2.1
		return nil, core.Errorf(core.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
	}
	if c := a.service(token); c != nil {
		return c, nil
	}
	if a.verifier == nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "invalid token")
	}
	claims, err := a.verifier.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	claims = a.userinfo.fill(ctx, claims, accessToken)
	user, err := a.users.SignIn(ctx, claims, a.matchEmail)
	if err != nil {
		return nil, err
	}
	return &core.Caller{User: user}, nil
}

// serviceKey is a service token's digest and the caller it authenticates,
// both made once: a request hashes only the token it presents, and every
// request of a service shares its caller, which no one modifies.
type serviceKey struct {
	sum    [sha256.Size]byte
	caller *core.Caller
}

func serviceKeys(tokens []ServiceToken) []serviceKey {
	keys := make([]serviceKey, 0, len(tokens))
	for _, t := range tokens {
		keys = append(keys, serviceKey{sum: sha256.Sum256([]byte(t.Token)), caller: &core.Caller{Service: t.Service}})
	}
	return keys
}

// service returns the caller of the service whose token this is, or nil.
// Every configured token is compared in constant time, not only up to the
// first match, so the timing tells nothing about which one nearly matched.
func (a *authenticator) service(token string) *core.Caller {
	sum := tokenSum(token)
	var c *core.Caller
	for _, k := range a.services {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			c = k.caller
		}
	}
	return c
}

// allow applies the procedure table: service APIs to their service only
// (and to operators, for the operator's), everything else to users, a few
// procedures to anyone.
func allow(procedure string, c *core.Caller) error {
	service, _, _ := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if want, ok := serviceOnly[service]; ok {
		switch {
		case c.Service == want:
			return nil
		case c.User != nil && c.User.Operator && operatorOK[service]:
			return nil
		case c.Service == "" && c.User == nil:
			return core.Errorf(core.EUNAUTHORIZED, "this API needs the %s service token", want)
		case c.User != nil && operatorOK[service]:
			return core.Errorf(core.EFORBIDDEN, "this API is for operators: ask for the operator role")
		default:
			return core.Errorf(core.EFORBIDDEN, "this API is for the %s service only", want)
		}
	}
	switch {
	case c.Service != "":
		return core.Errorf(core.EFORBIDDEN, "the %s service token does not open this API", c.Service)
	case c.User == nil && !anonymousOK[procedure]:
		return core.Errorf(core.EUNAUTHORIZED, "sign in first")
	}
	return nil
}

func (a *authenticator) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		c, err := a.caller(ctx, req.Header().Get("Authorization"), req.Header().Get(userInfoHeader))
		if err == nil {
			err = allow(req.Spec().Procedure, c)
		}
		if err != nil {
			return nil, err
		}
		return next(core.WithCaller(ctx, c), req)
	}
}

func (a *authenticator) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a *authenticator) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		c, err := a.caller(ctx, conn.RequestHeader().Get("Authorization"), conn.RequestHeader().Get(userInfoHeader))
		if err == nil {
			err = allow(conn.Spec().Procedure, c)
		}
		if err != nil {
			return err
		}
		return next(core.WithCaller(ctx, c), conn)
	}
}
