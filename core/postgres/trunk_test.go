package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// insertTrunk writes a trunk directly; TrunkService grows its own writer later.
func insertTrunk(t *testing.T, db *postgres.DB, name, lang string, enabled bool, numbers ...string) {
	t.Helper()
	ctx := context.Background()
	var id string
	if err := db.Pool.QueryRow(ctx, `INSERT INTO trunks (name, language, enabled) VALUES ($1, $2, $3) RETURNING id`,
		name, lang, enabled).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO trunk_numbers (e164, trunk_id, position) VALUES ($1, $2, $3)`, n, id, i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindTrunks(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	insertTrunk(t, db, "paris", "fr-fr", true, "+33987654321", "+33123456789")
	insertTrunk(t, db, "amsterdam", "nl-nl", false, "+31201234567")
	insertTrunk(t, db, "empty", "en-us", true)
	s := postgres.NewTrunkService(db)
	ctx := context.Background()

	all, err := s.FindTrunks(ctx, core.TrunkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range all {
		names = append(names, tr.Name)
	}
	if !slices.Equal(names, []string{"amsterdam", "empty", "paris"}) {
		t.Errorf("FindTrunks(all) names = %v", names)
	}

	enabled := true
	got, err := s.FindTrunks(ctx, core.TrunkFilter{Enabled: &enabled})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Name != "paris" {
		t.Fatalf("FindTrunks(enabled) = %+v", got)
	}
	paris := got[1]
	// Numbers keep their configured order, not their sort order.
	if !slices.Equal(paris.Numbers, []core.PhoneNumber{"+33987654321", "+33123456789"}) ||
		paris.Language != "fr-fr" || paris.PINLength != 10 || !paris.Enabled || paris.ID == "" || paris.CreatedAt.IsZero() {
		t.Errorf("paris = %+v", paris)
	}
	if got[0].Numbers != nil {
		t.Errorf("empty trunk numbers = %v, want none", got[0].Numbers)
	}
}

func TestTrunkNumberIsE164(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	insertTrunk(t, db, "paris", "fr-fr", true)
	_, err := db.Pool.Exec(context.Background(),
		`INSERT INTO trunk_numbers (e164, trunk_id) SELECT '01 23 45 67 89', id FROM trunks`)
	if err == nil {
		t.Fatal("a number that is not E.164 was stored")
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	if err := db.Migrate(context.Background(), testenv.Logger(t)); err != nil {
		t.Fatal(err)
	}
}
