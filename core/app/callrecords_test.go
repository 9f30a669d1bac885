package app_test

import (
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
)

// TestMaintainCallRecords: one round of the core's upkeep closes the calls open past LostAfter and drops
// the months past the retention, with the settings its configuration gave.
func TestMaintainCallRecords(t *testing.T) {
	c := testenv.Core(t)
	ctx := t.Context()
	now := time.Now().UTC()
	open := core.CallRecord{ID: "open", Start: now.Add(-13 * time.Hour), Caller: "+33 6•• ••• •42"}
	recent := core.CallRecord{ID: "recent", Start: now.Add(-time.Hour)}
	old := core.CallRecord{ID: "old", Start: now.AddDate(0, -5, 0), End: now.AddDate(0, -5, 0), Final: true, Outcome: "connected"}
	if err := c.Server.CallRecords.RecordCalls(ctx, []core.CallRecord{open, recent, old}); err != nil {
		t.Fatal(err)
	}
	c.MaintainCallRecords(ctx, now)
	got := map[string]string{}
	rows, err := c.DB.Pool.Query(ctx, `SELECT id, outcome FROM call_records`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, outcome string
		rows.Scan(&id, &outcome)
		got[id] = outcome
	}
	if len(got) != 2 || got["open"] != core.OutcomeLost || got["recent"] != "" {
		t.Errorf("records after the upkeep: %v; want open lost, recent open, old dropped", got)
	}
}
