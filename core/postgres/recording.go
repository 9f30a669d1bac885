package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// RecordingService implements core.RecordingService.
type RecordingService struct {
	db *DB
}

var _ core.RecordingService = (*RecordingService)(nil)

// NewRecordingService returns a RecordingService on db.
func NewRecordingService(db *DB) *RecordingService { return &RecordingService{db: db} }

const recordingColumns = `id, room_id, mode, status, options, coalesce(egress_id, ''), coalesce(started_by::text, ''), permanent,
	coalesce(expired_at, 'epoch'), created_at, updated_at`

func scanRecording(row pgx.Row) (*core.Recording, error) {
	var r core.Recording
	var options []byte
	if err := row.Scan(&r.ID, &r.RoomID, &r.Mode, &r.Status, &options, &r.EgressID, &r.StartedBy, &r.Permanent, &r.ExpiredAt,
		&r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	if r.ExpiredAt.Equal(time.Unix(0, 0)) {
		r.ExpiredAt = time.Time{}
	}
	if err := json.Unmarshal(options, &r.Options); err != nil {
		return nil, fmt.Errorf("recording %s options: %w", r.ID, err)
	}
	return &r, nil
}

// CreateRecording stores r as initiated. A room with a live recording
// already → ECONFLICT: the partial unique index decides races between
// concurrent starts, and exactly one wins.
func (s *RecordingService) CreateRecording(ctx context.Context, r *core.Recording) error {
	if !r.Mode.Valid() {
		return core.Invalid("mode", "must be screen_recording or transcript")
	}
	options, err := json.Marshal(r.Options)
	if err != nil {
		return err
	}
	got, err := scanRecording(s.db.Pool.QueryRow(ctx, `
		INSERT INTO recordings (room_id, mode, status, options, started_by) VALUES ($1, $2, 'initiated', $3, nullif($4, '')::uuid)
		RETURNING `+recordingColumns, r.RoomID, r.Mode, options, r.StartedBy))
	switch {
	case violated(err, uniqueViolation) == "recordings_one_live_per_room":
		return core.Errorf(core.ECONFLICT, "a recording is already in progress in this room")
	case violated(err, foreignKeyViolation) != "":
		return core.Errorf(core.ENOTFOUND, "room not found")
	case err != nil:
		return fmt.Errorf("create recording: %w", err)
	}
	*r = *got
	return nil
}

func (s *RecordingService) find(ctx context.Context, where string, arg any) (*core.Recording, error) {
	r, err := scanRecording(s.db.Pool.QueryRow(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE `+where, arg))
	if err != nil {
		return nil, notFound(err, "recording")
	}
	return r, nil
}

func (s *RecordingService) FindRecording(ctx context.Context, id string) (*core.Recording, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "recording not found")
	}
	return s.find(ctx, "id = $1", id)
}

func (s *RecordingService) FindRecordingByEgress(ctx context.Context, egressID string) (*core.Recording, error) {
	return s.find(ctx, "egress_id = $1", egressID)
}

func (s *RecordingService) FindLiveRecording(ctx context.Context, room string) (*core.Recording, error) {
	if !isUUID(room) {
		return nil, core.Errorf(core.ENOTFOUND, "recording not found")
	}
	return s.find(ctx, "room_id = $1 AND status IN ('initiated', 'active')", room)
}

// FindRecordings lists the recordings user started and those of the rooms
// user owns (core.Recording.Readable), newest first, a page at a time.
func (s *RecordingService) FindRecordings(ctx context.Context, user string, page core.Page) ([]*core.Recording, string, error) {
	size, after, afterID, err := pageQuery(page)
	if err != nil || !isUUID(user) {
		return nil, "", err
	}
	rows, err := s.db.Pool.Query(ctx, `
		SELECT `+recordingColumns+` FROM recordings
		WHERE (started_by = $1 OR room_id IN (SELECT room_id FROM room_accesses WHERE user_id = $1 AND role = 'owner'))
		  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, user, after, afterID, size+1)
	if err != nil {
		return nil, "", fmt.Errorf("find recordings: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.Recording, error) { return scanRecording(row) })
	if err != nil {
		return nil, "", fmt.Errorf("find recordings: %w", err)
	}
	recs, next := pageOf(recs, size, func(r *core.Recording) pageToken { return pageToken{r.CreatedAt, r.ID} })
	return recs, next, nil
}

// SetStatus is a compare-and-set: the row changes only from one of from, so
// two finalisers (storage webhook and egress_ended) cannot both act.
func (s *RecordingService) SetStatus(ctx context.Context, id string, status core.RecordingStatus, from ...core.RecordingStatus) (*core.Recording, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "recording not found")
	}
	allowed := make([]string, len(from))
	for i, f := range from {
		allowed[i] = string(f)
	}
	r, err := scanRecording(s.db.Pool.QueryRow(ctx, `
		UPDATE recordings SET status = $2, updated_at = now()
		WHERE id = $1 AND status = ANY($3) RETURNING `+recordingColumns, id, status, allowed))
	if errors.Is(err, pgx.ErrNoRows) {
		cur, ferr := s.FindRecording(ctx, id)
		if ferr != nil {
			return nil, ferr
		}
		return cur, core.Errorf(core.EPRECONDITION, "the recording is %s", cur.Status)
	}
	if err != nil {
		return nil, fmt.Errorf("set recording status: %w", err)
	}
	return r, nil
}

func (s *RecordingService) SetEgress(ctx context.Context, id, egressID string) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE recordings SET egress_id = $2, updated_at = now() WHERE id = $1`, id, egressID)
	if err != nil {
		return fmt.Errorf("set egress: %w", err)
	}
	return nil
}

func (s *RecordingService) SetPermanent(ctx context.Context, id string, permanent bool) (*core.Recording, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "recording not found")
	}
	// The expiry pass holds the row while it deletes the file: this waits
	// for it, then finds the row expired.
	r, err := scanRecording(s.db.Pool.QueryRow(ctx, `
		UPDATE recordings SET permanent = $2, updated_at = now() WHERE id = $1 AND expired_at IS NULL
		RETURNING `+recordingColumns, id, permanent))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, ferr := s.FindRecording(ctx, id); ferr != nil {
			return nil, ferr
		}
		return nil, core.Errorf(core.EPRECONDITION, "the recording expired: its file is gone")
	}
	if err != nil {
		return nil, fmt.Errorf("set permanent: %w", err)
	}
	return r, nil
}

func (s *RecordingService) DeleteRecording(ctx context.Context, id string) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "recording not found")
	}
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM recordings WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete recording: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "recording not found")
	}
	return nil
}

// expiryLock is the advisory lock of the expiry pass: the replica that takes
// it leads the pass, the others skip theirs.
const expiryLock = 0x6578_7069 // "expi"

// ExpireRecordings runs the pass in one transaction: the transaction-scoped
// advisory lock elects the leader and ends with it, and the rows it expires
// stay locked (FOR UPDATE) from the moment they are picked until they are
// marked, so SetPermanent and DeleteRecording wait for the pass.
func (s *RecordingService) ExpireRecordings(ctx context.Context, cutoff time.Time, limit int, remove func(context.Context, *core.Recording) error) (core.ExpiryPass, error) {
	var pass core.ExpiryPass
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, expiryLock).Scan(&pass.Leader); err != nil || !pass.Leader {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT `+recordingColumns+` FROM recordings
			WHERE expired_at IS NULL AND NOT permanent AND created_at < $1 AND status NOT IN ('initiated', 'active')
			ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`, cutoff, limit)
		if err != nil {
			return err
		}
		recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.Recording, error) { return scanRecording(row) })
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := remove(ctx, r); err != nil {
				pass.Failed++
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE recordings SET expired_at = now(), updated_at = now() WHERE id = $1`, r.ID); err != nil {
				return err
			}
			pass.Expired++
		}
		return nil
	})
	if err != nil {
		return core.ExpiryPass{}, fmt.Errorf("expire recordings: %w", err)
	}
	return pass, nil
}
