package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// TrunkService implements core.TrunkService.
type TrunkService struct {
	db *DB
}

var _ core.TrunkService = (*TrunkService)(nil)

// NewTrunkService returns a TrunkService on db.
func NewTrunkService(db *DB) *TrunkService { return &TrunkService{db: db} }

// trunkRoomCount is trunk t's room count: the sum of its shards (see migration 00002).
const trunkRoomCount = `coalesce((SELECT sum(c.rooms) FROM trunk_room_counts c WHERE c.trunk_id = t.id), 0)::bigint`

// findTrunks selects trunks, each with its numbers in their configured order;
// $1 filters on enabled and $2 on the id when not NULL.
const findTrunks = `
	SELECT t.id, t.name, t.pin_length, t.language, t.enabled, t.handoff, ` + trunkRoomCount + `, t.created_at, t.updated_at,
	       coalesce(array_agg(n.e164 ORDER BY n.position, n.e164) FILTER (WHERE n.e164 IS NOT NULL), '{}')
	FROM trunks t LEFT JOIN trunk_numbers n ON n.trunk_id = t.id
	WHERE ($1::boolean IS NULL OR t.enabled = $1) AND ($2::uuid IS NULL OR t.id = $2)
	GROUP BY t.id
	ORDER BY t.name`

// FindTrunks returns the trunks matching filter, ordered by name.
func (s *TrunkService) FindTrunks(ctx context.Context, filter core.TrunkFilter) ([]*core.Trunk, error) {
	trunks, err := queryTrunks(ctx, s.db.Pool, filter.Enabled, nil)
	if err != nil {
		return nil, fmt.Errorf("find trunks: %w", err)
	}
	return trunks, nil
}

// FindTrunkByID returns the trunk with id; ENOTFOUND also for a malformed id.
func (s *TrunkService) FindTrunkByID(ctx context.Context, id string) (*core.Trunk, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "trunk not found")
	}
	trunks, err := queryTrunks(ctx, s.db.Pool, nil, id)
	if err != nil {
		return nil, fmt.Errorf("find trunk: %w", err)
	}
	if len(trunks) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, "trunk not found")
	}
	return trunks[0], nil
}

// FindTrunkByNumber returns the enabled trunk that owns number, without its
// numbers or room count: sipgate asks it for every call it answers.
func (s *TrunkService) FindTrunkByNumber(ctx context.Context, number core.PhoneNumber) (*core.Trunk, error) {
	var t core.Trunk
	err := s.db.Pool.QueryRow(ctx, `
		SELECT t.id, t.name, t.pin_length, t.language, t.enabled, t.handoff, t.created_at, t.updated_at
		FROM trunk_numbers n JOIN trunks t ON t.id = n.trunk_id AND t.enabled
		WHERE n.e164 = $1`, number).Scan(&t.ID, &t.Name, &t.PINLength, &t.Language, &t.Enabled, &t.Handoff, &t.CreatedAt, &t.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "no enabled trunk has this number")
	}
	if err != nil {
		return nil, fmt.Errorf("find trunk by number: %w", err)
	}
	return &t, nil
}

// querier is what a pool and a transaction have in common here.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryTrunks(ctx context.Context, q querier, enabled *bool, id any) ([]*core.Trunk, error) {
	rows, err := q.Query(ctx, findTrunks, enabled, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.Trunk, error) {
		var t core.Trunk
		var numbers []string
		err := row.Scan(&t.ID, &t.Name, &t.PINLength, &t.Language, &t.Enabled, &t.Handoff, &t.RoomCount, &t.CreatedAt, &t.UpdatedAt, &numbers)
		for _, n := range numbers {
			t.Numbers = append(t.Numbers, core.PhoneNumber(n))
		}
		return &t, err
	})
}
