package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// callColumns are a call record's columns, in scanCall's order.
const callColumns = `id, started_at, answered_at, ended_at, called, trunk_id, caller, caller_hash, transport, dtmf_method,
	pin_outcome, room_id, admission, handoff, bridged_ms, hangup_by, outcome, sip_code, reason, instance, final, phase`

// callWhere is filter's WHERE clause and its arguments; the page token is not part of it.
func callWhere(f core.CallFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if !f.From.IsZero() {
		add("started_at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("started_at < $%d", f.To)
	}
	for _, c := range []struct{ col, v string }{{"trunk_id", f.TrunkID}, {"called", string(f.Called)}, {"room_id", f.RoomID}, {"outcome", f.Outcome}} {
		if c.v != "" {
			add(c.col+" = $%d", c.v)
		}
	}
	if len(conds) == 0 {
		return "true", args
	}
	return strings.Join(conds, " AND "), args
}

// FindCallRecords returns a page of calls, newest first (keyset on started_at, id).
func (s *CallRecordService) FindCallRecords(ctx context.Context, f core.CallFilter) ([]core.CallRecord, string, error) {
	where, args := callWhere(f)
	if f.PageToken != "" {
		at, id, err := decodeCallToken(f.PageToken)
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, id)
		where += fmt.Sprintf(" AND (started_at, id) < ($%d, $%d)", len(args)-1, len(args))
	}
	size := pageSize(f.PageSize)
	args = append(args, size+1)
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(`SELECT %s FROM call_records WHERE %s ORDER BY started_at DESC, id DESC LIMIT $%d`,
		callColumns, where, len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find call records: %w", err)
	}
	records, err := pgx.CollectRows(rows, scanCall)
	if err != nil {
		return nil, "", fmt.Errorf("find call records: %w", err)
	}
	next := ""
	if len(records) > size {
		records = records[:size]
		last := records[size-1]
		next = encodeCallToken(last.Start, last.ID)
	}
	return records, next, nil
}

// CountCallRecords counts per outcome, and per hour (UTC) and outcome.
func (s *CallRecordService) CountCallRecords(ctx context.Context, f core.CallFilter) (core.CallCounts, error) {
	where, args := callWhere(f)
	rows, err := s.db.Pool.Query(ctx, `SELECT date_trunc('hour', started_at, 'UTC'), outcome, count(*) FROM call_records
		WHERE `+where+` GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return core.CallCounts{}, fmt.Errorf("count call records: %w", err)
	}
	hours, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.HourCount, error) {
		var h core.HourCount
		err := row.Scan(&h.Hour, &h.Outcome, &h.Count)
		h.Hour = h.Hour.UTC()
		return h, err
	})
	if err != nil {
		return core.CallCounts{}, fmt.Errorf("count call records: %w", err)
	}
	var c core.CallCounts
	c.Hours = hours
	byOutcome := map[string]int{}
	for _, h := range hours {
		i, ok := byOutcome[h.Outcome]
		if !ok {
			i = len(c.Outcomes)
			byOutcome[h.Outcome] = i
			c.Outcomes = append(c.Outcomes, core.OutcomeCount{Outcome: h.Outcome})
		}
		c.Outcomes[i].Count += h.Count
	}
	if c.Numbers, err = s.countNumbers(ctx, where, args); err != nil {
		return core.CallCounts{}, err
	}
	return c, nil
}

// countNumbers counts the calls and wrong-PIN calls per dialled number, most wrong first.
func (s *CallRecordService) countNumbers(ctx context.Context, where string, args []any) ([]core.NumberCount, error) {
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(`SELECT called, count(*), count(*) FILTER (WHERE pin_outcome IN ('wrong', 'limited'))
		FROM call_records WHERE %s AND called <> '' GROUP BY called ORDER BY 3 DESC, 2 DESC, 1 LIMIT %d`, where, core.MaxNumberCounts), args...)
	if err != nil {
		return nil, fmt.Errorf("count call records per number: %w", err)
	}
	numbers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.NumberCount, error) {
		var n core.NumberCount
		return n, row.Scan(&n.Called, &n.Calls, &n.WrongPIN)
	})
	if err != nil {
		return nil, fmt.Errorf("count call records per number: %w", err)
	}
	return numbers, nil
}

// EachCallRecord streams the calls oldest first, without holding them all.
func (s *CallRecordService) EachCallRecord(ctx context.Context, f core.CallFilter, fn func(core.CallRecord) error) error {
	where, args := callWhere(f)
	rows, err := s.db.Pool.Query(ctx, `SELECT `+callColumns+` FROM call_records WHERE `+where+` ORDER BY started_at, id`, args...)
	if err != nil {
		return fmt.Errorf("export call records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanCall(rows)
		if err != nil {
			return fmt.Errorf("export call records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanCall(row pgx.CollectableRow) (core.CallRecord, error) {
	var r core.CallRecord
	var answer, end *time.Time
	var called string
	var bridged int64
	err := row.Scan(&r.ID, &r.Start, &answer, &end, &called, &r.TrunkID, &r.Caller, &r.CallerID, &r.Transport, &r.DTMF,
		&r.PIN, &r.RoomID, &r.Admission, &r.Handoff, &bridged, &r.HangupBy, &r.Outcome, &r.SIPCode, &r.Reason, &r.Instance, &r.Final, &r.Phase)
	r.Called, r.Bridged = core.PhoneNumber(called), time.Duration(bridged)*time.Millisecond
	if answer != nil {
		r.Answer = *answer
	}
	if end != nil {
		r.End = *end
	}
	return r, err
}

// encodeCallToken is the opaque position after a call: "<unix microseconds>.<id>" in base64.
func encodeCallToken(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", at.UnixMicro(), id))
}

func decodeCallToken(s string) (time.Time, string, error) {
	invalid := core.Invalid("page_token", "is not a token this list returned")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", invalid
	}
	micros, id, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", invalid
	}
	return time.UnixMicro(us), id, nil
}

// LiveCalls returns the calls in progress (call_records_open indexes them).
func (s *CallRecordService) LiveCalls(ctx context.Context, since time.Time) ([]core.CallRecord, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+callColumns+` FROM call_records WHERE NOT final AND started_at >= $1
		ORDER BY started_at, id`, since)
	if err != nil {
		return nil, fmt.Errorf("live calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, scanCall)
	if err != nil {
		return nil, fmt.Errorf("live calls: %w", err)
	}
	return calls, nil
}
