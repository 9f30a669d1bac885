package app_test

import (
	"testing"
	"time"

	"github.com/meetline/meetline/core/testenv"
)

// TestPurgeMail: one purge deletes the mail sent before MAIL_RETENTION_DAYS
// (30 by default), keeps newer and unsent messages, and counts what it
// deleted in meetline_mail_purged_total.
func TestPurgeMail(t *testing.T) {
	c := testenv.Core(t)
	ctx := t.Context()
	insert := func(recipient, status string, sentDaysAgo int) {
		t.Helper()
		if _, err := c.DB.Pool.Exec(ctx, `
			INSERT INTO outbox (kind, recipient, subject, text_body, status, sent_at)
			VALUES ('invitation', $1, 's', 'PIN 1234567890', $2,
				CASE WHEN $2 = 'sent' THEN now() - make_interval(days => $3) END)`, recipient, status, sentDaysAgo); err != nil {
			t.Fatal(err)
		}
	}
	insert("old@example.org", "sent", 31)
	insert("older@example.org", "sent", 400)
	insert("recent@example.org", "sent", 29)
	insert("pending@example.org", "pending", 0)
	insert("failed@example.org", "failed", 0)

	c.PurgeMail(ctx, time.Now())
	rows, err := c.DB.Pool.Query(ctx, `SELECT recipient FROM outbox ORDER BY recipient`)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for rows.Next() {
		var r string
		rows.Scan(&r)
		left = append(left, r)
	}
	if len(left) != 3 || left[0] != "failed@example.org" || left[1] != "pending@example.org" || left[2] != "recent@example.org" {
		t.Errorf("outbox after the purge: %v; want failed, pending and recent", left)
	}
	families, err := c.Server.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	purged := -1.0
	for _, f := range families {
		if f.GetName() == "meetline_mail_purged_total" {
			purged = f.Metric[0].GetCounter().GetValue()
		}
	}
	if purged != 2 {
		t.Errorf("meetline_mail_purged_total = %v, want 2", purged)
	}
}
