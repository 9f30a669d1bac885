package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

func outboxMessage(to string) *core.Message {
	return &core.Message{Kind: "test", To: to, Subject: "Hello " + to, Text: "Hello.\n", HTML: "<p>Hello.</p>"}
}

func outboxRecord(t testing.TB, o *postgres.Outbox, id string) *postgres.OutboxRecord {
	t.Helper()
	r, err := o.FindMessage(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOutboxEnqueueValidates(t *testing.T) {
	t.Parallel()
	o := postgres.NewOutbox(testenv.Postgres(t))
	for field, m := range map[string]*core.Message{
		"to":          {Kind: "test", To: "Bob <bob@example.com>", Subject: "s", Text: "t"},
		"subject":     {Kind: "test", To: "bob@example.com", Subject: "a\r\nBcc: x@example.com", Text: "t"},
		"kind":        {To: "bob@example.com", Subject: "s", Text: "t"},
		"text":        {Kind: "test", To: "bob@example.com", Subject: "s"},
		"attachments": {Kind: "test", To: "bob@example.com", Subject: "s", Text: "t", Attachments: []core.Attachment{{Name: "a.ics"}}},
	} {
		wantField(t, o.Enqueue(t.Context(), m), field)
	}
}

// TestOutboxEnqueueTx: mail written in a transaction exists if, and only
// if, the transaction commits.
func TestOutboxEnqueueTx(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	o := postgres.NewOutbox(db)
	ctx := t.Context()
	rolledBack := errors.New("roll back")
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if err := o.EnqueueTx(ctx, tx, outboxMessage("a@example.com")); err != nil {
			return err
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatal(err)
	}
	m := outboxMessage("b@example.com")
	m.Attachments = []core.Attachment{{Name: "invite.ics", ContentType: "text/calendar", Data: []byte("BEGIN:VCALENDAR\r\n\x00\xff")}}
	if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error { return o.EnqueueTx(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.CreatedAt.IsZero() {
		t.Fatalf("id %q created %v", m.ID, m.CreatedAt)
	}
	got, err := o.ClaimDue(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != m.ID || got[0].To != m.To || got[0].HTML != m.HTML || got[0].Attempts != 1 {
		t.Fatalf("claimed %+v, want only %+v", got, m)
	}
	if a := got[0].Attachments; len(a) != 1 || a[0].Name != "invite.ics" || string(a[0].Data) != string(m.Attachments[0].Data) {
		t.Fatalf("attachments %+v", a)
	}
}

// TestOutboxClaimLease: a claimed message is nobody else's until its lease
// ends, then it is due again (its worker is presumed dead).
func TestOutboxClaimLease(t *testing.T) {
	t.Parallel()
	o := postgres.NewOutbox(testenv.Postgres(t))
	ctx := t.Context()
	m := outboxMessage("a@example.com")
	if err := o.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.ClaimDue(ctx, 10, 200*time.Millisecond); len(got) != 1 {
		t.Fatalf("first claim: %d messages", len(got))
	}
	if got, _ := o.ClaimDue(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatalf("claimed a leased message")
	}
	time.Sleep(250 * time.Millisecond)
	got, err := o.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after the lease: %v, %+v", err, got)
	}
}

func TestOutboxMarkSent(t *testing.T) {
	t.Parallel()
	o := postgres.NewOutbox(testenv.Postgres(t))
	ctx := t.Context()
	m := outboxMessage("a@example.com")
	o.Enqueue(ctx, m)
	o.ClaimDue(ctx, 1, time.Millisecond)
	if err := o.MarkSent(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkSent(ctx, m.ID); err != nil {
		t.Fatalf("second MarkSent: %v", err)
	}
	// A worker whose lease ran out cannot turn a sent message back.
	if err := o.MarkFailed(ctx, m.ID, errors.New("late"), time.Now(), true); err != nil {
		t.Fatal(err)
	}
	r := outboxRecord(t, o, m.ID)
	if r.Status != "sent" || r.SentAt == nil || r.LastError != "" {
		t.Fatalf("record %+v", r)
	}
	time.Sleep(5 * time.Millisecond)
	if got, _ := o.ClaimDue(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatal("claimed a sent message")
	}
	wantCode(t, o.MarkSent(ctx, "nope"), core.ENOTFOUND)
}

// TestOutboxMarkFailed: a failure delays the message to retryAt; a final
// one keeps it as failed, with the error but not the address.
func TestOutboxMarkFailed(t *testing.T) {
	t.Parallel()
	o := postgres.NewOutbox(testenv.Postgres(t))
	ctx := t.Context()
	m := outboxMessage("bob.smith+meet@example.com")
	o.Enqueue(ctx, m)
	o.ClaimDue(ctx, 1, time.Minute)
	cause := fmt.Errorf("450 4.2.0 <bob.smith+meet@example.com>: mailbox busy; also BOB.SMITH+MEET@EXAMPLE.COM")
	if err := o.MarkFailed(ctx, m.ID, cause, time.Now().Add(300*time.Millisecond), false); err != nil {
		t.Fatal(err)
	}
	r := outboxRecord(t, o, m.ID)
	want := "450 4.2.0 <[address]>: mailbox busy; also [address]"
	if r.Status != "pending" || r.LastError != want || r.Attempts != 1 {
		t.Fatalf("record: status %s, error %q, attempts %d; want error %q", r.Status, r.LastError, r.Attempts, want)
	}
	if got, _ := o.ClaimDue(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatal("claimed before retryAt")
	}
	time.Sleep(350 * time.Millisecond)
	got, _ := o.ClaimDue(ctx, 10, time.Minute)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after retryAt: %+v", got)
	}
	if err := o.MarkFailed(ctx, m.ID, cause, time.Now(), true); err != nil {
		t.Fatal(err)
	}
	if r := outboxRecord(t, o, m.ID); r.Status != "failed" {
		t.Fatalf("status %s", r.Status)
	}
	if got, _ := o.ClaimDue(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatal("claimed a failed message")
	}
	failed, err := o.ListFailed(ctx, 10)
	if err != nil || len(failed) != 1 || failed[0].ID != m.ID {
		t.Fatalf("ListFailed: %v, %+v", err, failed)
	}
	if err := o.Retry(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.ClaimDue(ctx, 10, time.Minute); len(got) != 1 || got[0].Attempts != 1 {
		t.Fatalf("after Retry: %+v", got)
	}
	wantCode(t, o.Retry(ctx, m.ID), core.ENOTFOUND)
}

// TestOutboxConcurrentClaims: workers on separate connections claiming at
// once never get the same message (FOR UPDATE SKIP LOCKED).
func TestOutboxConcurrentClaims(t *testing.T) {
	t.Parallel()
	url := testenv.DatabaseURL(t)
	const n, workers = 300, 6
	seed := openPool(t, url)
	msgs := make([]*core.Message, n)
	for i := range msgs {
		msgs[i] = outboxMessage(fmt.Sprintf("u%d@example.com", i))
	}
	if err := postgres.NewOutbox(seed).Enqueue(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		o := postgres.NewOutbox(openPool(t, url))
		wg.Go(func() {
			for {
				got, err := o.ClaimDue(t.Context(), 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d messages claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s claimed %d times", id, c)
		}
	}
}

func TestOutboxPurgeSent(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	o := postgres.NewOutbox(db)
	ctx := t.Context()
	sent, pending := outboxMessage("a@example.com"), outboxMessage("b@example.com")
	o.Enqueue(ctx, sent, pending)
	o.ClaimDue(ctx, 10, time.Minute)
	o.MarkSent(ctx, sent.ID)
	// Another replica holds the purge lock: this one skips its turn.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, 0x7075_7267); err != nil {
		t.Fatal(err)
	}
	if n, leader, err := o.PurgeSent(ctx, time.Now().Add(time.Minute)); err != nil || leader || n != 0 {
		t.Fatalf("purge under another's lock: %d, leader %v, %v", n, leader, err)
	}
	tx.Rollback(ctx)
	// Sent after the cutoff: kept.
	if n, leader, err := o.PurgeSent(ctx, time.Now().Add(-time.Minute)); err != nil || !leader || n != 0 {
		t.Fatalf("purge of nothing old enough: %d, leader %v, %v", n, leader, err)
	}
	n, leader, err := o.PurgeSent(ctx, time.Now().Add(time.Minute))
	if err != nil || !leader || n != 1 {
		t.Fatalf("purged %d, leader %v, %v", n, leader, err)
	}
	wantCode(t, func() error { _, err := o.FindMessage(ctx, sent.ID); return err }(), core.ENOTFOUND)
	outboxRecord(t, o, pending.ID)
}

func openPool(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}
