package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// Outbox implements core.Outbox: mail waiting to be sent, in the same
// database as the changes that cause it (migration 00003 explains the table).
type Outbox struct {
	db *DB
}

var _ core.Outbox = (*Outbox)(nil)

// NewOutbox returns an Outbox on db.
func NewOutbox(db *DB) *Outbox { return &Outbox{db: db} }

// maxErrorLen bounds last_error: SMTP replies can be long, and only their
// start says what went wrong.
const maxErrorLen = 1000

// attachment is the JSON form of core.Attachment in outbox.attachments;
// encoding/json writes Data as base64.
type attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

const insertMessage = `
	INSERT INTO outbox (kind, recipient, subject, text_body, html_body, attachments)
	VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`

// EnqueueTx writes msgs in tx and fills in their IDs: the worker sees them
// when, and only if, tx commits. Use it in the transaction of the change the
// mail is about.
func (o *Outbox) EnqueueTx(ctx context.Context, tx pgx.Tx, msgs ...*core.Message) error {
	batch := &pgx.Batch{}
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			return err
		}
		atts := make([]attachment, len(m.Attachments))
		for i, a := range m.Attachments {
			atts[i] = attachment(a)
		}
		raw, err := json.Marshal(atts)
		if err != nil {
			return fmt.Errorf("outbox: attachments: %w", err)
		}
		batch.Queue(insertMessage, m.Kind, m.To, m.Subject, m.Text, m.HTML, raw).
			QueryRow(func(row pgx.Row) error { return row.Scan(&m.ID, &m.CreatedAt) })
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	return nil
}

// Enqueue writes msgs in a transaction of their own, for mail that no other
// change goes with.
func (o *Outbox) Enqueue(ctx context.Context, msgs ...*core.Message) error {
	return pgx.BeginFunc(ctx, o.db.Pool, func(tx pgx.Tx) error { return o.EnqueueTx(ctx, tx, msgs...) })
}

// claimDue leases the oldest due rows. SKIP LOCKED lets workers of several
// replicas claim at once without waiting on or taking each other's rows; the
// new next_attempt_at is the lease, and makes the rows due again if their
// worker dies before it says how sending went.
const claimDue = `
	WITH due AS (
		SELECT id FROM outbox
		WHERE status = 'pending' AND next_attempt_at <= now()
		ORDER BY next_attempt_at
		LIMIT $1
		FOR UPDATE SKIP LOCKED
	)
	UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + $2::bigint * interval '1 microsecond'
	FROM due WHERE o.id = due.id
	RETURNING ` + messageColumns

const messageColumns = `o.id, o.kind, o.recipient, o.subject, o.text_body, o.html_body, o.attachments, o.attempts, o.created_at`

// ClaimDue leases up to limit due messages for lease (see core.Outbox).
func (o *Outbox) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]*core.Message, error) {
	rows, err := o.db.Pool.Query(ctx, claimDue, limit, lease.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.Message, error) { return scanMessage(row) })
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return msgs, nil
}

func scanMessage(row pgx.Row, extra ...any) (*core.Message, error) {
	var m core.Message
	var atts []attachment
	dest := append([]any{&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &atts, &m.Attempts, &m.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	for _, a := range atts {
		m.Attachments = append(m.Attachments, core.Attachment(a))
	}
	return &m, nil
}

// MarkSent records that id was accepted by the SMTP server. It is idempotent.
func (o *Outbox) MarkSent(ctx context.Context, id string) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "message not found")
	}
	_, err := o.db.Pool.Exec(ctx, `UPDATE outbox SET status = 'sent', sent_at = now() WHERE id = $1 AND status = 'pending'`, id)
	if err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// MarkFailed records a failed attempt at id (see core.Outbox). A message
// already sent, by a worker whose lease outlived this one's, stays sent.
func (o *Outbox) MarkFailed(ctx context.Context, id string, cause error, retryAt time.Time, final bool) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "message not found")
	}
	status := "pending"
	if final {
		status = "failed"
	}
	_, err := o.db.Pool.Exec(ctx, `
		UPDATE outbox SET status = $2, next_attempt_at = $3, last_error = $4
		WHERE id = $1 AND status = 'pending'`, id, status, retryAt, redactError(cause))
	if err != nil {
		return fmt.Errorf("outbox: mark failed: %w", err)
	}
	return nil
}

// redactError is the text of err fit for last_error: without e-mail
// addresses, valid UTF-8 and bounded.
func redactError(err error) string {
	if err == nil {
		return ""
	}
	s := core.RedactAddresses(err.Error())
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen]
	}
	return strings.ToValidUTF8(s, "")
}

// OutboxRecord is a message with its sending state, for inspection.
type OutboxRecord struct {
	*core.Message
	Status        string // pending, sent or failed
	LastError     string // redacted
	NextAttemptAt time.Time
	SentAt        *time.Time
}

const recordColumns = messageColumns + `, o.status, o.last_error, o.next_attempt_at, o.sent_at`

func scanRecord(row pgx.Row) (*OutboxRecord, error) {
	var r OutboxRecord
	m, err := scanMessage(row, &r.Status, &r.LastError, &r.NextAttemptAt, &r.SentAt)
	r.Message = m
	return &r, err
}

// FindMessage returns the message id with its state.
func (o *Outbox) FindMessage(ctx context.Context, id string) (*OutboxRecord, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "message not found")
	}
	r, err := scanRecord(o.db.Pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM outbox o WHERE o.id = $1`, id))
	if err != nil {
		return nil, notFound(err, "message")
	}
	return r, nil
}

// ListFailed returns up to limit messages that ran out of attempts, oldest first.
func (o *Outbox) ListFailed(ctx context.Context, limit int) ([]*OutboxRecord, error) {
	rows, err := o.db.Pool.Query(ctx, `
		SELECT `+recordColumns+` FROM outbox o WHERE o.status = 'failed' ORDER BY o.created_at LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: list failed: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*OutboxRecord, error) { return scanRecord(row) })
}

// Retry makes a failed message due again with a fresh count of attempts,
// once an operator has fixed what made it fail.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "message not found")
	}
	tag, err := o.db.Pool.Exec(ctx, `
		UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now()
		WHERE id = $1 AND status = 'failed'`, id)
	if err != nil {
		return fmt.Errorf("outbox: retry: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "failed message not found")
	}
	return nil
}

// purgeLock is the advisory lock of the purge of sent mail: the replica
// that takes it purges, the others skip their turn.
const purgeLock = 0x7075_7267 // "purg"

// PurgeSent deletes messages sent before t: once delivered, their
// addresses and bodies (PINs included) are personal data with no further
// use. With several replicas, one purges at a time (leader reports whether
// this call did); deleted counts the messages.
func (o *Outbox) PurgeSent(ctx context.Context, t time.Time) (deleted int64, leader bool, err error) {
	err = pgx.BeginFunc(ctx, o.db.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, purgeLock).Scan(&leader); err != nil || !leader {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1`, t)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("outbox: purge: %w", err)
	}
	return deleted, leader, nil
}
