package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meetline/meetline/core"
)

// candidates returns the enabled trunks, least-loaded first (ties by name,
// so that the order is stable), with first, if enabled, moved to the front.
func (s *RoomService) candidates(ctx context.Context, first string) ([]candidate, error) {
	if s.noPINs {
		return nil, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT t.id, t.name, t.pin_length FROM trunks t WHERE t.enabled ORDER BY `+trunkRoomCount+`, t.name`)
	if err != nil {
		return nil, fmt.Errorf("trunks: %w", err)
	}
	trunks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (c candidate, err error) {
		err = row.Scan(&c.id, &c.name, &c.pinLength)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("trunks: %w", err)
	}
	for i, c := range trunks {
		if c.id == first {
			copy(trunks[1:i+1], trunks[:i])
			trunks[0] = c
			break
		}
	}
	return trunks, nil
}

// RegeneratePIN gives the room a new PIN: in its own trunk when that trunk
// is enabled, so that the number people dial stays the same, else (or when
// its own namespace is full) in the least-loaded other one. When every draw
// collides the room is left without a PIN rather than with the old one:
// regenerating is how a leaked PIN is revoked.
func (s *RoomService) RegeneratePIN(ctx context.Context, id string) (*core.Room, error) {
	old, err := s.FindRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	if !isUUID(id) { // a slug: the room's id is what the updates key on
		id = old.ID
	}
	trunks, err := s.candidates(ctx, old.TrunkID)
	if err != nil {
		return nil, fmt.Errorf("regenerate PIN: %w", err)
	}
	var room *core.Room
	set := func(trunk, pin *string) (bool, error) {
		var err error
		room, err = scanRoom(s.db.Pool.QueryRow(ctx, `UPDATE rooms r SET trunk_id = $2, pin = $3, updated_at = now()
			WHERE r.id = $1 RETURNING `+roomColumns, id, trunk, pin))
		if violated(err, uniqueViolation) == "rooms_trunk_pin" {
			return false, nil // each attempt is its own transaction: nothing to roll back
		}
		return err == nil, notFound(err, "room")
	}
	_, _, err = s.pins.assign(ctx, trunks, func(c candidate, pin string) (bool, error) {
		if c.id == old.TrunkID && pin == old.PIN {
			return false, nil // the room's own PIN is taken too: by itself
		}
		return set(&c.id, &pin)
	})
	switch {
	case errors.Is(err, errNoTrunk):
		_, err = set(nil, nil)
	case errors.Is(err, errNoPIN):
		if _, err = set(nil, nil); err == nil {
			s.log.WarnContext(ctx, "room left without a PIN: every draw collided", "room", id,
				"trunks", len(trunks), "retries_per_trunk", s.pins.retries)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("regenerate PIN: %w", err)
	}
	return room, nil
}

// findRoomByPIN is the phone-call lookup: the called number selects its
// trunk (trunk_numbers primary key), which must be enabled, and (trunk_id,
// pin) the room, through the rooms_trunk_pin index. One round trip; a
// constant text that pgx prepares once per connection.
const findRoomByPIN = `
	SELECT r.id, r.name, r.slug, r.access_level, r.configuration, r.created_at, r.updated_at,
	       t.id, t.name, t.pin_length, t.language, t.enabled, t.created_at, t.updated_at
	FROM trunk_numbers n
	JOIN trunks t ON t.id = n.trunk_id AND t.enabled
	JOIN rooms r ON r.trunk_id = n.trunk_id AND r.pin = $2
	WHERE n.e164 = $1`

// FindRoomByPIN finds the room pin opens when called is dialled. The trunk
// comes without its Numbers and RoomCount: the caller knows the number it
// dialled, and aggregating either would slow down every call.
func (s *RoomService) FindRoomByPIN(ctx context.Context, called core.PhoneNumber, pin string) (*core.Room, *core.Trunk, error) {
	if called == "" || !core.ValidPIN(pin) {
		return nil, nil, core.Errorf(core.ENOTFOUND, "no room has this PIN on this number")
	}
	p := new(pinRow)
	r, t := &p.room, &p.trunk
	// Every call, pgx plans the scan of each column into its target again;
	// into its own types it needs no wrapper plans nor reflection.
	err := s.db.Pool.QueryRow(ctx, findRoomByPIN, called, pin).Scan(
		&p.roomID, &r.Name, &r.Slug, &p.access, &p.cfg, &p.times[0], &p.times[1],
		&p.trunkID, &t.Name, &p.pinLength, &t.Language, &t.Enabled, &p.times[2], &p.times[3])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, core.Errorf(core.ENOTFOUND, "no room has this PIN on this number")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find room by PIN: %w", err)
	}
	r.ID, r.AccessLevel, r.Configuration = p.roomID.String(), core.AccessLevel(p.access), p.cfg
	r.CreatedAt, r.UpdatedAt = p.times[0].Time, p.times[1].Time
	t.ID, t.PINLength, t.CreatedAt, t.UpdatedAt = p.trunkID.String(), int(p.pinLength), p.times[2].Time, p.times[3].Time
	r.TrunkID, r.PIN = t.ID, pin
	return r, t, nil
}

// pinRow is FindRoomByPIN's answer with the targets of the columns not
// scanned into the room or the trunk directly, in one allocation: 21 a
// lookup instead of 28 (BenchmarkFindRoomByPIN).
type pinRow struct {
	room            core.Room
	trunk           core.Trunk
	roomID, trunkID pgtype.UUID
	access          string
	cfg             []byte // into json.RawMessage, pgx would parse the JSON
	pinLength       int16
	times           [4]pgtype.Timestamptz
}
