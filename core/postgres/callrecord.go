package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// CallRecordService implements core.CallRecordService on the call_records
// table, one partition per month (migration 00007).
type CallRecordService struct {
	db *DB

	mu     sync.Mutex
	months map[time.Time]bool // partitions known to exist
}

var _ core.CallRecordService = (*CallRecordService)(nil)

// NewCallRecordService returns a CallRecordService on db.
func NewCallRecordService(db *DB) *CallRecordService {
	return &CallRecordService{db: db, months: make(map[time.Time]bool)}
}

// upsertRecord stores a record; a final one replaces a started one (or one
// the core closed as lost: sipgate's own end is better), and nothing
// replaces a final one, so sending again changes nothing.
const upsertRecord = `
	INSERT INTO call_records (id, started_at, answered_at, ended_at, called, trunk_id, caller, caller_hash, transport,
		dtmf_method, pin_outcome, room_id, admission, handoff, bridged_ms, hangup_by, outcome, sip_code, reason, instance, final, phase)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
	ON CONFLICT (id, started_at) DO UPDATE SET answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
		called = EXCLUDED.called, trunk_id = EXCLUDED.trunk_id, caller = EXCLUDED.caller, caller_hash = EXCLUDED.caller_hash,
		transport = EXCLUDED.transport, dtmf_method = EXCLUDED.dtmf_method, pin_outcome = EXCLUDED.pin_outcome,
		room_id = EXCLUDED.room_id, admission = EXCLUDED.admission, handoff = EXCLUDED.handoff,
		bridged_ms = EXCLUDED.bridged_ms, hangup_by = EXCLUDED.hangup_by, outcome = EXCLUDED.outcome,
		sip_code = EXCLUDED.sip_code, reason = EXCLUDED.reason, instance = EXCLUDED.instance, final = EXCLUDED.final,
		phase = EXCLUDED.phase
	WHERE NOT call_records.final OR (call_records.outcome = 'lost' AND EXCLUDED.final)`

// RecordCalls stores records in one transaction, creating the partitions of
// their months first.
func (s *CallRecordService) RecordCalls(ctx context.Context, records []core.CallRecord) error {
	for _, r := range records {
		if err := s.ensureMonth(ctx, r.Start); err != nil {
			return err
		}
	}
	b := &pgx.Batch{}
	for _, r := range records {
		b.Queue(upsertRecord, r.ID, r.Start, nullTime(r.Answer), nullTime(r.End), string(r.Called), r.TrunkID, r.Caller,
			r.CallerID, r.Transport, r.DTMF, r.PIN, r.RoomID, r.Admission, r.Handoff, r.Bridged.Milliseconds(), r.HangupBy,
			r.Outcome, r.SIPCode, r.Reason, r.Instance, r.Final, r.Phase)
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("record calls: %w", err)
	}
	return nil
}

// ensureMonth creates the partition of t's month (UTC) unless it is known to
// exist. Concurrent creations of one month are harmless: IF NOT EXISTS.
func (s *CallRecordService) ensureMonth(ctx context.Context, t time.Time) error {
	from := monthOf(t)
	s.mu.Lock()
	known := s.months[from]
	s.mu.Unlock()
	if known {
		return nil
	}
	to := from.AddDate(0, 1, 0)
	sql := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF call_records FOR VALUES FROM ('%s') TO ('%s')`,
		partitionName(from), from.Format(time.RFC3339), to.Format(time.RFC3339))
	if _, err := s.db.Pool.Exec(ctx, sql); err != nil && !isDuplicateTable(err) {
		return fmt.Errorf("call records partition %s: %w", partitionName(from), err)
	}
	s.mu.Lock()
	s.months[from] = true
	s.mu.Unlock()
	return nil
}

// CloseLost ends, as lost, the calls started before before whose final
// record never came: sipgate died with them.
func (s *CallRecordService) CloseLost(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, `
		UPDATE call_records SET final = true, outcome = $2, phase = '', ended_at = greatest(started_at, coalesce(answered_at, started_at))
		WHERE NOT final AND started_at < $1`, before, core.OutcomeLost)
	if err != nil {
		return 0, fmt.Errorf("close lost calls: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DropBefore drops every partition whose month ended before t.
func (s *CallRecordService) DropBefore(ctx context.Context, t time.Time) (int, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = 'call_records'`)
	if err != nil {
		return 0, fmt.Errorf("call records partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("call records partitions: %w", err)
	}
	dropped := 0
	for _, name := range names {
		from, err := time.Parse("call_records_2006_01", name)
		if err != nil || from.AddDate(0, 1, 0).After(t) {
			continue
		}
		if _, err := s.db.Pool.Exec(ctx, "DROP TABLE IF EXISTS "+name); err != nil {
			return dropped, fmt.Errorf("drop %s: %w", name, err)
		}
		s.mu.Lock()
		delete(s.months, from)
		s.mu.Unlock()
		dropped++
	}
	return dropped, nil
}

// monthOf is the first instant of t's month, in UTC.
func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// partitionName names the partition of the month starting at from: only
// digits come from the data, so the name is safe to splice into SQL.
func partitionName(from time.Time) string { return from.Format("call_records_2006_01") }

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// isDuplicateTable reports the error of a partition another replica created
// at the same instant: IF NOT EXISTS does not cover that race.
func isDuplicateTable(err error) bool {
	return isCode(err, "42P07") || isCode(err, uniqueViolation)
}
