package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// insertTrunk writes a trunk directly, bypassing TrunkService's checks.
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

func TestCreateTrunk(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewTrunkService(db)
	ctx := t.Context()
	paris := &core.Trunk{Name: "paris", Numbers: []core.PhoneNumber{"+33123456789", "+33987654321"}, Enabled: true}
	if err := s.CreateTrunk(ctx, paris); err != nil {
		t.Fatal(err)
	}
	if paris.ID == "" || paris.PINLength != core.DefaultPINLength || paris.Language != "en-us" || paris.Handoff != core.HandoffBridge ||
		paris.CreatedAt.IsZero() {
		t.Fatalf("created %+v", paris)
	}
	got, err := s.FindTrunkByID(ctx, paris.ID)
	if err != nil || !slices.Equal(got.Numbers, paris.Numbers) || got.RoomCount != 0 || got.Name != "paris" || got.Handoff != core.HandoffBridge {
		t.Fatalf("FindTrunkByID = %+v, %v", got, err)
	}
	for _, id := range []string{"paris", "00000000-0000-0000-0000-000000000000"} {
		_, err := s.FindTrunkByID(ctx, id)
		wantCode(t, err, core.ENOTFOUND)
	}

	for _, tc := range []struct {
		name  string
		trunk core.Trunk
		field string
		code  core.ErrorCode
	}{
		{"empty name", core.Trunk{}, "name", core.EINVALID},
		{"long name", core.Trunk{Name: strings.Repeat("x", 101)}, "name", core.EINVALID},
		{"short PINs", core.Trunk{Name: "x", PINLength: 3}, "pin_length", core.EINVALID},
		{"long PINs", core.Trunk{Name: "x", PINLength: 17}, "pin_length", core.EINVALID},
		{"language", core.Trunk{Name: "x", Language: "klingon"}, "language", core.EINVALID},
		{"handoff", core.Trunk{Name: "x", Handoff: "teleport"}, "handoff", core.EINVALID},
		{"number", core.Trunk{Name: "x", Numbers: []core.PhoneNumber{"0123456789"}}, "numbers", core.EINVALID},
		{"twice", core.Trunk{Name: "x", Numbers: []core.PhoneNumber{"+41441234567", "+41441234567"}}, "numbers", core.EINVALID},
		{"taken name", core.Trunk{Name: "paris"}, "", core.ECONFLICT},
		{"taken number", core.Trunk{Name: "x", Numbers: []core.PhoneNumber{"+41441234567", "+33987654321"}}, "", core.ECONFLICT},
	} {
		err := s.CreateTrunk(ctx, &tc.trunk)
		if tc.field != "" {
			wantField(t, err, tc.field)
		} else {
			wantCode(t, err, tc.code)
		}
		if tc.name == "taken number" && !strings.Contains(err.Error(), `+33987654321 already belongs to trunk "paris"`) {
			t.Errorf("conflict does not say which: %v", err)
		}
	}
	if all, _ := s.FindTrunks(ctx, core.TrunkFilter{}); len(all) != 1 {
		t.Errorf("failed creations left %d trunks", len(all))
	}
}

// TestTrunkHandoff reads a trunk's hand-off back through every finder,
// sipgate's FindTrunkByNumber included.
func TestTrunkHandoff(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewTrunkService(db)
	ctx := t.Context()
	carrier := &core.Trunk{Name: "carrier", Numbers: []core.PhoneNumber{"+33123456789"}, Enabled: true, Handoff: core.HandoffRefer}
	if err := s.CreateTrunk(ctx, carrier); err != nil {
		t.Fatal(err)
	}
	insertTrunk(t, db, "legacy", "en-us", true, "+33987654321") // written without a hand-off: the column's default

	byID, err := s.FindTrunkByID(ctx, carrier.ID)
	if err != nil || byID.Handoff != core.HandoffRefer {
		t.Errorf("FindTrunkByID = %+v, %v", byID, err)
	}
	all, err := s.FindTrunks(ctx, core.TrunkFilter{})
	if err != nil || len(all) != 2 || all[0].Handoff != core.HandoffRefer || all[1].Handoff != core.HandoffBridge {
		t.Errorf("FindTrunks = %+v, %v", all, err)
	}
	for number, want := range map[core.PhoneNumber]core.Handoff{"+33123456789": core.HandoffRefer, "+33987654321": core.HandoffBridge} {
		got, err := s.FindTrunkByNumber(ctx, number)
		if err != nil || got.Handoff != want {
			t.Errorf("FindTrunkByNumber(%s) = %+v, %v, want %s", number, got, err, want)
		}
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE trunks SET handoff = 'teleport'`); err == nil {
		t.Error("the database stored an unknown hand-off")
	}
}

func TestUpdateTrunk(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	s := postgres.NewTrunkService(db)
	ctx := t.Context()
	paris := newTrunk(t, db, "paris", 10, true, "+33123456789")
	newTrunk(t, db, "zurich", 10, true, "+41441234567")
	ptr := func(s string) *string { return &s }
	n := func(i int) *int { return &i }
	handoff := func(h core.Handoff) *core.Handoff { return &h }
	off := false

	got, err := s.UpdateTrunk(ctx, paris.ID, core.TrunkUpdate{
		Name: ptr("paris-2"), PINLength: n(6), Language: ptr("fr-fr"), Enabled: &off, Handoff: handoff(core.HandoffRefer),
		Numbers: &[]core.PhoneNumber{"+33987654321", "+33123456789"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "paris-2" || got.PINLength != 6 || got.Language != "fr-fr" || got.Enabled || got.Handoff != core.HandoffRefer ||
		!slices.Equal(got.Numbers, []core.PhoneNumber{"+33987654321", "+33123456789"}) || !got.UpdatedAt.After(paris.UpdatedAt) {
		t.Fatalf("updated = %+v", got)
	}
	got, err = s.UpdateTrunk(ctx, paris.ID, core.TrunkUpdate{Numbers: &[]core.PhoneNumber{}})
	if err != nil || got.Numbers != nil || got.Name != "paris-2" || got.Handoff != core.HandoffRefer {
		t.Fatalf("emptied numbers = %+v, %v", got, err)
	}
	if got, err := s.FindTrunkByID(ctx, paris.ID); err != nil || got.Handoff != core.HandoffRefer {
		t.Fatalf("read back = %+v, %v", got, err)
	}
	got, err = s.UpdateTrunk(ctx, paris.ID, core.TrunkUpdate{Handoff: handoff(core.HandoffBridge)})
	if err != nil || got.Handoff != core.HandoffBridge {
		t.Fatalf("back to bridge = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		upd   core.TrunkUpdate
		field string
		code  core.ErrorCode
	}{
		{core.TrunkUpdate{Name: ptr("")}, "name", core.EINVALID},
		{core.TrunkUpdate{PINLength: n(20)}, "pin_length", core.EINVALID},
		{core.TrunkUpdate{Language: ptr("xx")}, "language", core.EINVALID},
		{core.TrunkUpdate{Handoff: handoff("teleport")}, "handoff", core.EINVALID},
		{core.TrunkUpdate{Name: ptr("zurich")}, "", core.ECONFLICT},
		{core.TrunkUpdate{Numbers: &[]core.PhoneNumber{"+41441234567"}}, "", core.ECONFLICT},
	} {
		_, err := s.UpdateTrunk(ctx, paris.ID, tc.upd)
		if tc.field != "" {
			wantField(t, err, tc.field)
		} else {
			wantCode(t, err, tc.code)
		}
	}
	_, err = s.UpdateTrunk(ctx, "00000000-0000-0000-0000-000000000000", core.TrunkUpdate{Enabled: &off})
	wantCode(t, err, core.ENOTFOUND)
}
