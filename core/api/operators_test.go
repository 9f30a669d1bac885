package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core/oidc"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestOperatorRole: the operator service token grants a signed-in person the operator role, who then reads the
// call records and manages trunks with their own sign-in until the role is revoked, at their next request.
func TestOperatorRole(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	service := s.clients(operatorToken).operators
	dana := s.clients(s.token(t, "dana"))
	me, err := dana.users.GetMe(ctx, &meetlinev1.GetMeRequest{})
	if err != nil || me.User.Operator {
		t.Fatalf("GetMe before the grant: %v, %v", me, err)
	}
	listCalls := func() error {
		_, err := dana.calls.ListCalls(ctx, &meetlinev1.ListCallsRequest{})
		return err
	}
	if err := listCalls(); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("ListCalls before the grant: %v, want PermissionDenied", err)
	}

	// An address names the user, whatever its case.
	res, err := service.SetOperator(ctx, &meetlinev1.SetOperatorRequest{User: " DANA@example.org ", Operator: true})
	if err != nil || res.User.Id != me.User.Id || !res.User.Operator {
		t.Fatalf("SetOperator: %v, %v", res, err)
	}
	if err := listCalls(); err != nil {
		t.Errorf("ListCalls as an operator: %v", err)
	}
	if _, err := dana.trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "dana's", Numbers: []string{"+33 1 99 00 00 01"}, Enabled: true}); err != nil {
		t.Errorf("CreateTrunk as an operator: %v", err)
	}
	if me, err := dana.users.GetMe(ctx, &meetlinev1.GetMeRequest{}); err != nil || !me.User.Operator {
		t.Errorf("GetMe after the grant: %v, %v: the console shows the operator's pages from it", me, err)
	}
	list, err := service.ListOperators(ctx, &meetlinev1.ListOperatorsRequest{})
	if err != nil || len(list.Operators) != 1 || list.Operators[0].Id != me.User.Id {
		t.Errorf("ListOperators: %v, %v", list, err)
	}
	// An operator cannot make another one.
	if _, err := dana.operators.SetOperator(ctx, &meetlinev1.SetOperatorRequest{User: me.User.Id, Operator: true}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("SetOperator as an operator: %v, want PermissionDenied", err)
	}

	// Revoked by id: the very next request is refused, though the token is still valid.
	if _, err := service.SetOperator(ctx, &meetlinev1.SetOperatorRequest{User: me.User.Id}); err != nil {
		t.Fatal(err)
	}
	if err := listCalls(); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("ListCalls after the revocation: %v, want PermissionDenied", err)
	}
	if _, err := s.clients("").calls.ListCalls(ctx, &meetlinev1.ListCallsRequest{}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Errorf("ListCalls anonymously: %v, want Unauthenticated", err)
	}

	// Two accounts with one address (OIDC_MATCH_EMAIL off): a grant must name one of them by its id.
	for _, sub := range []string{"twin-1", "twin-2"} {
		tok, err := s.core.Issuer.Sign(oidc.DevClaims{Sub: sub, Email: "twin@example.org"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.clients(tok).users.GetMe(ctx, &meetlinev1.GetMeRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	refused := []struct {
		user string
		want connect.Code
	}{
		{"", connect.CodeInvalidArgument},
		{"  ", connect.CodeInvalidArgument},
		{"nobody@example.org", connect.CodeNotFound},
		{"00000000-0000-4000-8000-000000000000", connect.CodeNotFound},
		{"twin@example.org", connect.CodeFailedPrecondition},
	}
	for _, tt := range refused {
		if _, err := service.SetOperator(ctx, &meetlinev1.SetOperatorRequest{User: tt.user, Operator: true}); connect.CodeOf(err) != tt.want {
			t.Errorf("SetOperator(%q): %v, want %v", tt.user, err, tt.want)
		}
	}
	if list, err := service.ListOperators(ctx, &meetlinev1.ListOperatorsRequest{}); err != nil || len(list.Operators) != 0 {
		t.Errorf("ListOperators after the refusals: %v, %v", list, err)
	}
}
