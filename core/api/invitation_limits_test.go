package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core/api"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// addresses returns n distinct addresses at domain.
func addresses(prefix string, n int, domain string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d@%s", prefix, i, domain)
	}
	return out
}

// TestInviteRecipientLimits: invitations count their recipients against
// the inviter's hourly and daily budgets and a global hourly one; a request
// that would go over is refused whole (ResourceExhausted, saying which
// budget), queues nothing and spends nothing, so a smaller one still fits.
func TestInviteRecipientLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		limits api.RecipientLimits
		second string // the owner's invitation after the administrator's 6 and 5
		want   string
	}{
		{"per hour", api.RecipientLimits{PerHour: 10, PerDay: 100, GlobalPerHour: 100}, "", "10 people an hour"},
		{"per day", api.RecipientLimits{PerHour: 100, PerDay: 8, GlobalPerHour: 100}, "", "8 people a day"},
		{"global", api.RecipientLimits{PerHour: 100, PerDay: 100, GlobalPerHour: 12}, "owner", "too many invitations"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, func(srv *api.Server) {
				srv.Mailer.Recipients = tt.limits
				srv.Mailer.PerInviter.Max = 100
			})
			ctx := context.Background()
			cs, ids := s.principalClients(t)
			f := s.newFixture(t, cs, ids, "+33123456789")
			admin := s.invitations(s.token(t, t.Name()+"-administrator"))
			queued := func() (n int) {
				if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = 'invitation'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := queued()
			if _, err := admin.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: addresses("a", 6, "example.net")}); err != nil {
				t.Fatal(err)
			}
			var err error
			switch tt.second {
			case "owner": // 6 + 7 > 12 for everyone together; 6 for the owner alone
				_, err = s.invitations(s.token(t, t.Name()+"-owner")).Invite(ctx,
					&meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: addresses("o", 7, "example.net")})
			default: // 6 + 5 is over 10 an hour and over 8 a day
				_, err = admin.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: addresses("b", 5, "example.net")})
			}
			if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.Contains(err.Error(), tt.want) || retryDelay(err) <= 0 {
				t.Fatalf("over the budget: %v, want resource_exhausted saying %q", err, tt.want)
			}
			if n := queued() - before; n != 6 {
				t.Errorf("%d messages queued, want the first invitation's 6 only", n)
			}
			if _, err := admin.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: addresses("c", 2, "example.net")}); err != nil {
				t.Errorf("a smaller invitation after the refusal: %v", err)
			}
		})
	}
}

// TestInviteDomains: with Domains set, invitations go to those domains and
// to people with an account, and a request naming anyone else is refused
// whole (PermissionDenied, naming the address by its index).
func TestInviteDomains(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.Mailer.Recipients.Domains = []string{"example.net"} })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	admin := s.invitations(s.token(t, t.Name()+"-administrator"))
	member := t.Name() + "-member@example.org" // an account's address, outside the domains
	res, err := admin.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: []string{"a@Example.NET", member}})
	if err != nil || res.Queued != 2 {
		t.Fatalf("the domain and an account: %v, %v", res, err)
	}
	_, err = admin.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: []string{"b@example.net", "stranger@example.org"},
		GrantRole: meetlinev1.Role_ROLE_MEMBER})
	if connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), "emails[1]") ||
		!strings.Contains(err.Error(), "example.net") {
		t.Fatalf("an outside address: %v, want permission_denied naming emails[1] and the domains", err)
	}
	var granted int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE recipient = 'b@example.net'`).Scan(&granted); err != nil || granted != 0 {
		t.Errorf("the refused invitation queued %d messages (%v)", granted, err)
	}
}
