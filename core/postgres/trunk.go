package postgres

import (
	"context"
	"fmt"

	"github.com/meetline/meetline/core"
)

// TrunkService implements core.TrunkService.
type TrunkService struct {
	db *DB
}

var _ core.TrunkService = (*TrunkService)(nil)

// NewTrunkService returns a TrunkService on db.
func NewTrunkService(db *DB) *TrunkService { return &TrunkService{db: db} }

// FindTrunks returns the trunks matching filter, ordered by name, each with its
// numbers in their configured order.
func (s *TrunkService) FindTrunks(ctx context.Context, filter core.TrunkFilter) ([]*core.Trunk, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT t.id, t.name, t.pin_length, t.language, t.enabled, t.created_at, t.updated_at,
		       coalesce(array_agg(n.e164 ORDER BY n.position, n.e164) FILTER (WHERE n.e164 IS NOT NULL), '{}')
		FROM trunks t LEFT JOIN trunk_numbers n ON n.trunk_id = t.id
		WHERE $1::boolean IS NULL OR t.enabled = $1
		GROUP BY t.id
		ORDER BY t.name`, filter.Enabled)
	if err != nil {
		return nil, fmt.Errorf("find trunks: %w", err)
	}
	defer rows.Close()
	var trunks []*core.Trunk
	for rows.Next() {
		var t core.Trunk
		var numbers []string
		if err := rows.Scan(&t.ID, &t.Name, &t.PINLength, &t.Language, &t.Enabled, &t.CreatedAt, &t.UpdatedAt, &numbers); err != nil {
			return nil, fmt.Errorf("find trunks: %w", err)
		}
		for _, n := range numbers {
			t.Numbers = append(t.Numbers, core.PhoneNumber(n))
		}
		trunks = append(trunks, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find trunks: %w", err)
	}
	return trunks, nil
}
