package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core/oidc"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestLocaleAtSignIn: the identity provider's locale and zoneinfo set a
// user's language and time zone at sign-in until the user chooses their own
// (UpdateMe), which later sign-ins leave alone; an invitee nobody knows
// reads the invitation in the inviter's language.
func TestLocaleAtSignIn(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	sub := t.Name() + "-claude"
	signIn := func(locale, zone string) *meetlinev1.User {
		t.Helper()
		tok, err := s.core.Issuer.Sign(oidc.DevClaims{Sub: sub, Email: sub + "@example.org", GivenName: "Claude", Locale: locale, Zoneinfo: zone}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		me, err := s.clients(tok).users.GetMe(ctx, &meetlinev1.GetMeRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return me.User
	}
	if u := signIn("fr-FR", "Europe/Paris"); u.Language != "fr-fr" || u.Timezone != "Europe/Paris" {
		t.Fatalf("first sign-in: %s %s, want fr-fr Europe/Paris", u.Language, u.Timezone)
	}
	if u := signIn("", ""); u.Language != "fr-fr" || u.Timezone != "Europe/Paris" {
		t.Errorf("a sign-in without the claims changed them: %s %s", u.Language, u.Timezone)
	}
	de := "de-de"
	tok, _ := s.core.Issuer.Sign(oidc.DevClaims{Sub: sub, Email: sub + "@example.org", Locale: "fr-FR", Zoneinfo: "Europe/Paris"}, time.Hour)
	if _, err := s.clients(tok).users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{Language: &de}); err != nil {
		t.Fatal(err)
	}
	// The chosen language stays; the time zone, never chosen, follows the provider.
	if u := signIn("fr-FR", "America/Montreal"); u.Language != "de-de" || u.Timezone != "America/Montreal" {
		t.Errorf("after choosing German: %s %s, want de-de America/Montreal", u.Language, u.Timezone)
	}

	// A French inviter writes to a stranger in French.
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	fr := "fr-fr"
	if _, err := cs[owner].users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{Language: &fr}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs[owner].invitations.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: []string{"stranger@example.net"}}); err != nil {
		t.Fatal(err)
	}
	var subject string
	if err := s.db.Pool.QueryRow(ctx, `SELECT subject FROM outbox WHERE recipient = 'stranger@example.net'`).Scan(&subject); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(subject, "Appel vidéo en cours") {
		t.Errorf("the stranger's invitation is not in French: %q", subject)
	}
}
