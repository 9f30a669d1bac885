package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
)

// RoomService implements core.RoomService.
type RoomService struct {
	db   *DB
	pins *pinAssigner
	log  *slog.Logger
	reg  prometheus.Registerer
	// noPINs is TELEPHONY_ENABLED=false: rooms get no PIN at all.
	noPINs bool
}

var _ core.RoomService = (*RoomService)(nil)

// RoomOption configures a RoomService.
type RoomOption func(*RoomService)

// WithPINRetries sets how many PINs are tried in a trunk before the next
// (DefaultPINRetries when n < 1).
func WithPINRetries(n int) RoomOption {
	return func(s *RoomService) {
		if n > 0 {
			s.pins.retries = n
		}
	}
}

// WithRandom draws PINs from r instead of crypto/rand: tests force
// collisions with a reader that repeats itself. r must be safe for
// concurrent use.
func WithRandom(r io.Reader) RoomOption { return func(s *RoomService) { s.pins.random = r } }

// WithTelephony(false) gives rooms no PIN (TELEPHONY_ENABLED=false): with
// nothing to dial, a PIN would only be a secret to leak.
func WithTelephony(enabled bool) RoomOption { return func(s *RoomService) { s.noPINs = !enabled } }

// WithLogger logs the rooms left without a PIN (never the PINs themselves).
func WithLogger(l *slog.Logger) RoomOption { return func(s *RoomService) { s.log = l } }

// WithMetrics registers the PIN collision and failure counters with reg.
// Without it they are counted but exported nowhere.
func WithMetrics(reg prometheus.Registerer) RoomOption { return func(s *RoomService) { s.reg = reg } }

// NewRoomService returns a RoomService on db. It panics when the metrics
// cannot be registered, as prometheus.MustRegister does: a programming error.
func NewRoomService(db *DB, opts ...RoomOption) *RoomService {
	s := &RoomService{db: db, pins: newPINAssigner(), log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	if s.reg != nil {
		if err := s.pins.register(s.reg); err != nil {
			panic(fmt.Sprintf("postgres: register PIN metrics: %v", err))
		}
	}
	return s
}

// roomColumns are read by scanRoom; a room without a PIN reads as "", "".
const roomColumns = `r.id, r.name, r.slug, r.access_level, r.configuration,
	coalesce(r.trunk_id::text, ''), coalesce(r.pin, ''), r.created_at, r.updated_at`

func scanRoom(row pgx.Row) (*core.Room, error) {
	var r core.Room
	err := row.Scan(&r.ID, &r.Name, &r.Slug, &r.AccessLevel, &r.Configuration, &r.TrunkID, &r.PIN, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// insertRoom stores the room and its owner's access in one statement, hence
// one transaction: no round trip happens while the trunk's count shard is
// locked by the count trigger. A PIN already taken in the trunk makes it insert
// nothing and return no row (ON CONFLICT on rooms_trunk_pin only; a taken
// slug still fails). Unlike a unique violation, that aborts nothing, so the
// caller draws again without a savepoint or a transaction to restart. A NULL
// trunk and PIN never conflict: that is the insert of a room without a PIN.
const insertRoom = `
	WITH r AS (
		INSERT INTO rooms (name, slug, access_level, configuration, trunk_id, pin)
		VALUES ($1, $2, $3, $4::jsonb, $5, $6)
		ON CONFLICT ON CONSTRAINT rooms_trunk_pin DO NOTHING
		RETURNING id, created_at, updated_at
	), a AS (
		INSERT INTO room_accesses (room_id, user_id, role) SELECT id, $7, 'owner' FROM r
	)
	SELECT id, created_at, updated_at FROM r`

// CreateRoom stores room with owner as its owner and gives it a PIN from the
// least-loaded enabled trunk (see core.RoomService).
func (s *RoomService) CreateRoom(ctx context.Context, room *core.Room, owner string) error {
	for try := 1; ; try++ {
		err := s.createRoom(ctx, room, owner)
		if !errors.Is(err, errSlugTaken) || try == slugTries {
			return err
		}
	}
}

// slugTries bounds the draws of a new slug: with 32^8 suffixes per name,
// a second draw is already rare.
const slugTries = 3

// errSlugTaken is a unique violation on a slug: the random suffix drawn was
// given before (to this name, now or once), so another is drawn.
var errSlugTaken = errors.New("slug already given")

func (s *RoomService) createRoom(ctx context.Context, room *core.Room, owner string) error {
	slug, cfg, err := checkNewRoom(room)
	if err != nil {
		return err
	}
	if !isUUID(owner) {
		return core.Errorf(core.ENOTFOUND, "owner not found")
	}
	trunks, err := s.candidates(ctx, "")
	if err != nil {
		return fmt.Errorf("create room: %w", err)
	}
	insert := func(trunk, pin *string) (bool, error) {
		err := s.db.Pool.QueryRow(ctx, insertRoom, room.Name, slug, room.AccessLevel, cfg, trunk, pin, owner).
			Scan(&room.ID, &room.CreatedAt, &room.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, roomWriteError(err, slug)
	}
	c, pin, err := s.pins.assign(ctx, trunks, func(c candidate, pin string) (bool, error) { return insert(&c.id, &pin) })
	switch {
	case errors.Is(err, errNoTrunk):
		_, err = insert(nil, nil)
	case errors.Is(err, errNoPIN):
		if _, err = insert(nil, nil); err == nil {
			s.log.WarnContext(ctx, "room created without a PIN: every draw collided", "room", room.ID,
				"trunks", len(trunks), "retries_per_trunk", s.pins.retries)
		}
	}
	if err != nil {
		return fmt.Errorf("create room: %w", err)
	}
	room.Slug, room.Configuration, room.TrunkID, room.PIN = slug, json.RawMessage(cfg), c.id, pin
	return nil
}

// checkNewRoom validates a room to create and returns its slug and its
// configuration as the JSON to store.
func checkNewRoom(room *core.Room) (slug, cfg string, err error) {
	if err := core.CheckRoomName(room.Name); err != nil {
		return "", "", err
	}
	if slug, err = core.NewSlug(room.Name, rand.Reader); err != nil {
		return "", "", err
	}
	if !room.AccessLevel.Valid() {
		return "", "", core.Invalid("access_level", "must be public, trusted or restricted, not %q", room.AccessLevel)
	}
	if len(room.Configuration) == 0 {
		return slug, "{}", nil
	}
	cfg, err = checkConfiguration(room.Configuration)
	return slug, cfg, err
}

// checkConfiguration requires a JSON object: the API and LiveKit metadata
// merge it key by key.
func checkConfiguration(raw json.RawMessage) (string, error) {
	if !json.Valid(raw) || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return "", core.Invalid("configuration", "must be a JSON object")
	}
	return string(raw), nil
}

// roomWriteError names the constraint a write to rooms broke.
func roomWriteError(err error, slug string) error {
	switch {
	case err == nil:
		return nil
	case violated(err, uniqueViolation) == "room_slugs_pkey", violated(err, uniqueViolation) == "rooms_slug_key":
		return fmt.Errorf("%w: %q", errSlugTaken, slug)
	case violated(err, foreignKeyViolation) == "room_accesses_user_id_fkey":
		return core.Errorf(core.ENOTFOUND, "owner not found")
	}
	return err
}

// FindRoom finds a room by id when idOrSlug is shaped like a UUID (slugs
// never are), by any slug it ever had otherwise.
func (s *RoomService) FindRoom(ctx context.Context, idOrSlug string) (*core.Room, error) {
	query := `SELECT ` + roomColumns + ` FROM room_slugs h JOIN rooms r ON r.id = h.room_id WHERE h.slug = $1`
	switch {
	case isUUID(idOrSlug):
		query = `SELECT ` + roomColumns + ` FROM rooms r WHERE r.id = $1`
	case !core.IsSlug(idOrSlug):
		return nil, core.Errorf(core.ENOTFOUND, "room not found")
	}
	r, err := scanRoom(s.db.Pool.QueryRow(ctx, query, idOrSlug))
	if err != nil {
		return nil, fmt.Errorf("find room: %w", notFound(err, "room"))
	}
	return r, nil
}

// UpdateRoom changes the fields set in upd; a new name brings a new slug,
// and the old ones keep leading to the room.
func (s *RoomService) UpdateRoom(ctx context.Context, id string, upd core.RoomUpdate) (*core.Room, error) {
	for try := 1; ; try++ {
		r, err := s.updateRoom(ctx, id, upd)
		if !errors.Is(err, errSlugTaken) || try == slugTries {
			return r, err
		}
	}
}

func (s *RoomService) updateRoom(ctx context.Context, id string, upd core.RoomUpdate) (*core.Room, error) {
	var name, slug, level, cfg *string
	if upd.Name != nil {
		if err := core.CheckRoomName(*upd.Name); err != nil {
			return nil, err
		}
		sl, err := core.NewSlug(*upd.Name, rand.Reader)
		if err != nil {
			return nil, err
		}
		name, slug = upd.Name, &sl
	}
	if upd.AccessLevel != nil {
		if !upd.AccessLevel.Valid() {
			return nil, core.Invalid("access_level", "must be public, trusted or restricted, not %q", *upd.AccessLevel)
		}
		l := string(*upd.AccessLevel)
		level = &l
	}
	if len(upd.Configuration) > 0 {
		c, err := checkConfiguration(upd.Configuration)
		if err != nil {
			return nil, err
		}
		cfg = &c
	}
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "room not found")
	}
	r, err := scanRoom(s.db.Pool.QueryRow(ctx, `
		UPDATE rooms r SET name = coalesce($2, r.name), slug = coalesce($3, r.slug),
			access_level = coalesce($4, r.access_level), configuration = coalesce($5::jsonb, r.configuration),
			updated_at = now()
		WHERE r.id = $1 RETURNING `+roomColumns, id, name, slug, level, cfg))
	if err != nil {
		return nil, fmt.Errorf("update room: %w", notFound(roomWriteError(err, deref(slug)), "room"))
	}
	return r, nil
}

// DeleteRoom deletes the room with its accesses and recordings; the count
// trigger gives its PIN back to the trunk, and its slugs stay taken
// (room_slugs). The files of its recordings are queued for deletion from the
// bucket in the same transaction (core.ObjectDeletion): none is forgotten,
// whatever S3 answers later.
func (s *RoomService) DeleteRoom(ctx context.Context, id string) error {
	if !isUUID(id) {
		return core.Errorf(core.ENOTFOUND, "room not found")
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+recordingColumns+` FROM recordings
			WHERE room_id = $1 AND expired_at IS NULL FOR UPDATE`, id)
		if err != nil {
			return err
		}
		recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.Recording, error) { return scanRecording(row) })
		if err != nil {
			return err
		}
		jobs := make([]*core.Message, len(recs))
		for i, r := range recs {
			jobs[i] = core.ObjectDeletion(r.Key())
		}
		if err := (&Outbox{db: s.db}).EnqueueTx(ctx, tx, jobs...); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM rooms WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return core.Errorf(core.ENOTFOUND, "room not found")
		}
		return err
	})
	if err != nil && core.Code(err) != core.ENOTFOUND {
		return fmt.Errorf("delete room: %w", err)
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
