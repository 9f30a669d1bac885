package postgres_test

import (
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

func TestSignInCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewUserService(db)
	ctx := t.Context()

	first, err := s.SignIn(ctx, core.Claims{Sub: "s1", Email: "ada@example.com", FullName: "Ada Lovelace", ShortName: "Ada"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.Language != "en-us" || first.TimeZone != "UTC" || first.DefaultAccessLevel != "" || first.MarketingConsent {
		t.Fatalf("new user = %+v", first)
	}
	again, err := s.SignIn(ctx, core.Claims{Sub: "s1", Email: "ada@example.com", FullName: "Ada Lovelace", ShortName: "Ada"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("unchanged sign-in: %+v, want the same user untouched", again)
	}
	changed, err := s.SignIn(ctx, core.Claims{Sub: "s1", Email: "ada@lovelace.org"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if changed.ID != first.ID || changed.Email != "ada@lovelace.org" {
		t.Errorf("changed e-mail: %+v", changed)
	}
	// Empty claims never overwrite.
	if changed.FullName != "Ada Lovelace" || changed.ShortName != "Ada" {
		t.Errorf("empty claims overwrote names: %+v", changed)
	}
	if !changed.UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("updated_at did not move: %v → %v", first.UpdatedAt, changed.UpdatedAt)
	}
	_, err = s.SignIn(ctx, core.Claims{}, false)
	wantField(t, err, "sub")
}

func TestSignInMatchEmail(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewUserService(db)
	ctx := t.Context()
	old, err := s.SignIn(ctx, core.Claims{Sub: "old-idp", Email: "Grace@Example.com", FullName: "Grace Hopper"}, false)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("without matchEmail a new user is created", func(t *testing.T) {
		u, err := s.SignIn(ctx, core.Claims{Sub: "other-idp", Email: "grace@example.com"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == old.ID {
			t.Fatal("took over the user without matchEmail")
		}
	})
	t.Run("two users with the e-mail", func(t *testing.T) {
		_, err := s.SignIn(ctx, core.Claims{Sub: "third-idp", Email: "GRACE@example.com", EmailVerified: true}, true)
		wantCode(t, err, core.EFORBIDDEN)
	})

	db2 := testenv.Postgres(t)
	s2 := postgres.NewUserService(db2)
	old2, err := s2.SignIn(ctx, core.Claims{Sub: "old-idp", Email: "Grace@Example.com", FullName: "Grace Hopper"}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("an unverified e-mail takes over no one", func(t *testing.T) {
		// A provider that lets anyone claim any address (no email_verified,
		// or false) would otherwise hand them the account.
		u, err := s2.SignIn(ctx, core.Claims{Sub: "unverified-idp", Email: "grace@example.com"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == old2.ID {
			t.Fatal("an unverified e-mail took over the user")
		}
		if _, err := db2.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("one user with the e-mail, case-insensitively", func(t *testing.T) {
		u, err := s2.SignIn(ctx, core.Claims{Sub: "new-idp", Email: "grace@EXAMPLE.com", EmailVerified: true}, true)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != old2.ID || u.Sub != "new-idp" || u.FullName != "Grace Hopper" {
			t.Fatalf("took over %+v, want %s with the new sub", u, old2.ID)
		}
		// The known sub is found directly from now on.
		again, err := s2.SignIn(ctx, core.Claims{Sub: "new-idp"}, true)
		if err != nil || again.ID != old2.ID {
			t.Fatalf("sign-in again = %+v, %v", again, err)
		}
	})
}

func TestFindUserByID(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewUserService(db)
	u := newUser(t, db, "alice")
	got, err := s.FindUserByID(t.Context(), u.ID)
	if err != nil || got.Sub != "alice" {
		t.Fatalf("FindUserByID = %+v, %v", got, err)
	}
	for _, id := range []string{"not-a-uuid", "00000000-0000-0000-0000-000000000000", ""} {
		_, err := s.FindUserByID(t.Context(), id)
		wantCode(t, err, core.ENOTFOUND)
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewUserService(db)
	u := newUser(t, db, "alice")
	ptr := func(s string) *string { return &s }
	level := func(l core.AccessLevel) *core.AccessLevel { return &l }

	for _, tc := range []struct {
		upd   core.UserUpdate
		field string
	}{
		{core.UserUpdate{Language: ptr("xx-yy")}, "language"},
		{core.UserUpdate{TimeZone: ptr("Mars/Olympus")}, "timezone"},
		{core.UserUpdate{TimeZone: ptr("")}, "timezone"},
		{core.UserUpdate{TimeZone: ptr("Local")}, "timezone"},
		{core.UserUpdate{DefaultAccessLevel: level("secret")}, "default_access_level"},
	} {
		_, err := s.UpdateUser(t.Context(), u.ID, tc.upd)
		wantField(t, err, tc.field)
	}
	got, err := s.UpdateUser(t.Context(), u.ID, core.UserUpdate{Language: ptr("fr-fr"), TimeZone: ptr("Europe/Paris")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Language != "fr-fr" || got.TimeZone != "Europe/Paris" || got.DefaultAccessLevel != "" {
		t.Errorf("updated = %+v", got)
	}
	got, err = s.UpdateUser(t.Context(), u.ID, core.UserUpdate{DefaultAccessLevel: level(core.AccessRestricted)})
	if err != nil || got.DefaultAccessLevel != core.AccessRestricted || got.Language != "fr-fr" {
		t.Errorf("updated = %+v, %v", got, err)
	}
	yes := true
	got, err = s.UpdateUser(t.Context(), u.ID, core.UserUpdate{MarketingConsent: &yes})
	if err != nil || !got.MarketingConsent || got.DefaultAccessLevel != core.AccessRestricted {
		t.Errorf("consent = %+v, %v", got, err)
	}
	_, err = s.UpdateUser(t.Context(), "nope", core.UserUpdate{})
	wantCode(t, err, core.ENOTFOUND)
}
