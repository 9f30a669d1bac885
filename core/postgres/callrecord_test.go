package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// clearCaller is a caller's number that must never reach the database.
const clearCaller = "+33612345642"

func callRecord(id string, start time.Time, final bool) core.CallRecord {
	r := core.CallRecord{ID: id, Start: start, Answer: start.Add(time.Second), Called: "+33123456789",
		Caller: "+33 6•• ••• •42", CallerID: strings.Repeat("ab", 32), Transport: "udp", DTMF: "rfc4733",
		Instance: "sipgate-a"}
	if final {
		r.End, r.Final, r.Outcome, r.HangupBy, r.PIN = start.Add(time.Minute), true, "connected", "caller", "ok"
	}
	return r
}

func TestCallRecordsIdempotent(t *testing.T) {
	db := testenv.Postgres(t)
	s := postgres.NewCallRecordService(db)
	ctx := t.Context()
	start := time.Now().UTC().Truncate(time.Millisecond)
	steps := []struct {
		name        string
		record      core.CallRecord
		wantOutcome string
		wantFinal   bool
	}{
		{"started", callRecord("a", start, false), "", false},
		{"started again", callRecord("a", start, false), "", false},
		{"final", callRecord("a", start, true), "connected", true},
		{"final again", callRecord("a", start, true), "connected", true},
		{"started after final changes nothing", callRecord("a", start, false), "connected", true},
	}
	for _, st := range steps {
		if err := s.RecordCalls(ctx, []core.CallRecord{st.record}); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		var n int
		var outcome string
		var final bool
		err := db.Pool.QueryRow(ctx, `SELECT count(*), max(outcome), bool_or(final) FROM call_records WHERE id = 'a'`).Scan(&n, &outcome, &final)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || outcome != st.wantOutcome || final != st.wantFinal {
			t.Errorf("%s: %d rows, outcome %q, final %v; want 1, %q, %v", st.name, n, outcome, final, st.wantOutcome, st.wantFinal)
		}
	}
}

func TestCallRecordsLost(t *testing.T) {
	db := testenv.Postgres(t)
	s := postgres.NewCallRecordService(db)
	ctx := t.Context()
	now := time.Now().UTC()
	records := []core.CallRecord{
		callRecord("old-open", now.Add(-13*time.Hour), false),
		callRecord("old-ended", now.Add(-13*time.Hour), true),
		callRecord("recent-open", now.Add(-time.Minute), false),
	}
	if err := s.RecordCalls(ctx, records); err != nil {
		t.Fatal(err)
	}
	n, err := s.CloseLost(ctx, now.Add(-12*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("CloseLost = %d, %v; want 1", n, err)
	}
	want := map[string]string{"old-open": core.OutcomeLost, "old-ended": "connected", "recent-open": ""}
	for id, outcome := range want {
		var got string
		if err := db.Pool.QueryRow(ctx, `SELECT outcome FROM call_records WHERE id = $1`, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != outcome {
			t.Errorf("%s: outcome %q, want %q", id, got, outcome)
		}
	}
	// sipgate's own final record, arriving later (its spool kept it through a long outage), replaces lost.
	if err := s.RecordCalls(ctx, []core.CallRecord{callRecord("old-open", now.Add(-13*time.Hour), true)}); err != nil {
		t.Fatal(err)
	}
	var got string
	db.Pool.QueryRow(ctx, `SELECT outcome FROM call_records WHERE id = 'old-open'`).Scan(&got)
	if got != "connected" {
		t.Errorf("a late final record left the outcome %q, want connected", got)
	}
}

func TestCallRecordsRetention(t *testing.T) {
	db := testenv.Postgres(t)
	s := postgres.NewCallRecordService(db)
	ctx := t.Context()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var records []core.CallRecord
	for months := range 5 {
		start := now.AddDate(0, -months, 0)
		records = append(records, callRecord(fmt.Sprint("m", months), start, true))
	}
	if err := s.RecordCalls(ctx, records); err != nil {
		t.Fatal(err)
	}
	// 90 days before 6 December is 7 September: August goes, September stays (it holds records younger
	// than 90 days).
	n, err := s.DropBefore(ctx, now.Add(-90*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("DropBefore = %d, %v; want 1 partition", n, err)
	}
	var ids []string
	rows, _ := db.Pool.Query(ctx, `SELECT id FROM call_records ORDER BY id`)
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if got := strings.Join(ids, ","); got != "m0,m1,m2,m3" {
		t.Errorf("records left %s, want m0,m1,m2,m3", got)
	}
	// A dropped month's partition comes back when a record of that month arrives again.
	if err := s.RecordCalls(ctx, records[4:]); err != nil {
		t.Fatalf("a record of a dropped month: %v", err)
	}
}

// TestNoClearCallerNumber stores calls the way the API does and scans every table for the caller's clear
// number, in any of the forms it could take.
func TestNoClearCallerNumber(t *testing.T) {
	db := testenv.Postgres(t)
	s := postgres.NewCallRecordService(db)
	ctx := t.Context()
	if err := s.RecordCalls(ctx, []core.CallRecord{callRecord("x", time.Now(), true)}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	if len(tables) < 2 {
		t.Fatalf("found tables %v", tables)
	}
	for _, table := range tables {
		var text string
		if err := db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(string_agg(t::text, ' '), '') FROM %q t`, table)).Scan(&text); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, form := range []string{clearCaller, strings.TrimPrefix(clearCaller, "+"), "0612345642", "12345642"} {
			if strings.Contains(text, form) {
				t.Errorf("table %s holds the caller's number as %q", table, form)
			}
		}
	}
}
