package api

import (
	"context"
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
// users may not, and services may call nothing else.
var serviceOnly = map[string]string{
	meetlinev1connect.TelephonyServiceName: ServiceSipgate,
	meetlinev1connect.TrunkServiceName:     ServiceOperator,
	meetlinev1connect.CallServiceName:      ServiceOperator,
}

// anonymousOK lists the procedures that need no sign-in.
var anonymousOK = map[string]bool{
	meetlinev1connect.ConfigServiceGetConfigProcedure:   true,
	meetlinev1connect.RoomServiceGetRoomProcedure:       true,
	meetlinev1connect.LobbyServiceRequestEntryProcedure: true,
	meetlinev1connect.LobbyServiceWatchEntryProcedure:   true,
	meetlinev1connect.RoomServiceRefreshTokenProcedure:  true,
}

// authenticator turns the Authorization header into the request's core.Caller
// and enforces who may call which procedure; handlers check room roles.
type authenticator struct {
	verifier   TokenVerifier
	users      core.UserService
	services   []ServiceToken
	matchEmail bool
}

func (a *authenticator) caller(ctx context.Context, header string) (*core.Caller, error) {
	if header == "" {
		return &core.Caller{}, nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" { // RFC 6750 §2.1
		return nil, core.Errorf(core.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
	}
	if name := a.service(token); name != "" {
		return &core.Caller{Service: name}, nil
	}
	if a.verifier == nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "invalid token")
	}
	claims, err := a.verifier.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	user, err := a.users.SignIn(ctx, claims, a.matchEmail)
	if err != nil {
		return nil, err
	}
	return &core.Caller{User: user}, nil
}

// service returns the name of the service whose token this is, or "". Every
// configured token is compared (tokenEqual), not only up to the first match,
// so the timing tells nothing about which one nearly matched.
func (a *authenticator) service(token string) string {
	name := ""
	for _, s := range a.services {
		if tokenEqual(token, s.Token) {
			name = s.Service
		}
	}
	return name
}

// allow applies the procedure table: service APIs to their service only,
// everything else to users, a few procedures to anyone.
func allow(procedure string, c *core.Caller) error {
	service, _, _ := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if want, ok := serviceOnly[service]; ok {
		switch {
		case c.Service == want:
			return nil
		case c.Service == "" && c.User == nil:
			return core.Errorf(core.EUNAUTHORIZED, "this API needs the %s service token", want)
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
		c, err := a.caller(ctx, req.Header().Get("Authorization"))
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
		c, err := a.caller(ctx, conn.RequestHeader().Get("Authorization"))
		if err == nil {
			err = allow(conn.Spec().Procedure, c)
		}
		if err != nil {
			return err
		}
		return next(core.WithCaller(ctx, c), conn)
	}
}
