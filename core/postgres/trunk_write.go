package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// e164 is the shape trunk_numbers accepts; core.ParsePhoneNumber produces it.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// checkTrunk validates t and fills in the defaults of its PIN length,
// language and hand-off, so that the database's own checks never have to
// answer.
func checkTrunk(t *core.Trunk) error {
	if n := utf8.RuneCountInString(t.Name); n < 1 || n > 100 || strings.TrimSpace(t.Name) == "" {
		return core.Invalid("name", "must be 1 to 100 characters, not blank")
	}
	if t.PINLength == 0 {
		t.PINLength = core.DefaultPINLength
	}
	if t.PINLength < core.MinPINLength || t.PINLength > core.MaxPINLength {
		return core.Invalid("pin_length", "must be from %d to %d, not %d", core.MinPINLength, core.MaxPINLength, t.PINLength)
	}
	if t.Language == "" {
		t.Language = core.Languages[0]
	}
	if !core.IsLanguage(t.Language) {
		return core.Invalid("language", "must be one of %v, not %q", core.Languages, t.Language)
	}
	if t.Handoff == "" {
		t.Handoff = core.DefaultHandoff
	}
	if !t.Handoff.Valid() {
		return core.Invalid("handoff", "must be %s or %s, not %q", core.HandoffBridge, core.HandoffRefer, t.Handoff)
	}
	seen := make(map[core.PhoneNumber]bool, len(t.Numbers))
	for _, n := range t.Numbers {
		if !e164.MatchString(string(n)) {
			return core.Invalid("numbers", "%q is not an E.164 number", n)
		}
		if seen[n] {
			return core.Invalid("numbers", "%s is listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

// CreateTrunk stores t with its numbers and fills in its ID and times.
func (s *TrunkService) CreateTrunk(ctx context.Context, t *core.Trunk) error {
	if err := checkTrunk(t); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO trunks (name, pin_length, language, enabled, handoff) VALUES ($1, $2, $3, $4, $5)
			RETURNING id, created_at, updated_at`, t.Name, t.PINLength, t.Language, t.Enabled, t.Handoff).
			Scan(&t.ID, &t.CreatedAt, &t.UpdatedAt)
		if err != nil {
			return trunkWriteError(err, t.Name)
		}
		return setNumbers(ctx, tx, t.ID, t.Numbers)
	})
	if err != nil {
		return fmt.Errorf("create trunk: %w", err)
	}
	return nil
}

// UpdateTrunk changes the fields set in upd; Numbers replaces the whole list.
// Rooms keep their PINs when the PIN length changes: a PIN is matched as
// typed, so the old ones still work, and new ones get the new length.
func (s *TrunkService) UpdateTrunk(ctx context.Context, id string, upd core.TrunkUpdate) (*core.Trunk, error) {
	if !isUUID(id) {
		return nil, core.Errorf(core.ENOTFOUND, "trunk not found")
	}
	var t *core.Trunk
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM trunks WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		trunks, err := queryTrunks(ctx, tx, nil, id)
		if err != nil || len(trunks) == 0 {
			return notFoundTrunk(err)
		}
		t = trunks[0]
		applyTrunkUpdate(t, upd)
		if err := checkTrunk(t); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			UPDATE trunks SET name = $2, pin_length = $3, language = $4, enabled = $5, handoff = $6, updated_at = now()
			WHERE id = $1 RETURNING updated_at`, t.ID, t.Name, t.PINLength, t.Language, t.Enabled, t.Handoff).Scan(&t.UpdatedAt)
		if err != nil {
			return trunkWriteError(err, t.Name)
		}
		if upd.Numbers == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM trunk_numbers WHERE trunk_id = $1`, t.ID); err != nil {
			return err
		}
		return setNumbers(ctx, tx, t.ID, t.Numbers)
	})
	if err != nil {
		return nil, fmt.Errorf("update trunk: %w", err)
	}
	return t, nil
}

func notFoundTrunk(err error) error {
	if err != nil {
		return err
	}
	return core.Errorf(core.ENOTFOUND, "trunk not found")
}

func applyTrunkUpdate(t *core.Trunk, upd core.TrunkUpdate) {
	if upd.Name != nil {
		t.Name = *upd.Name
	}
	if upd.Numbers != nil {
		t.Numbers = append([]core.PhoneNumber(nil), *upd.Numbers...) // nil when emptied, as read back
	}
	if upd.PINLength != nil {
		t.PINLength = *upd.PINLength // 0: back to the default, as on creation
	}
	if upd.Language != nil {
		t.Language = *upd.Language
	}
	if upd.Enabled != nil {
		t.Enabled = *upd.Enabled
	}
	if upd.Handoff != nil {
		t.Handoff = *upd.Handoff // "": back to the default, as on creation
	}
}

// setNumbers gives the trunk its numbers, in order. A number can belong to
// one trunk only; the error names the trunk that has it.
func setNumbers(ctx context.Context, tx pgx.Tx, trunk string, numbers []core.PhoneNumber) error {
	if len(numbers) == 0 {
		return nil
	}
	list := make([]string, len(numbers))
	for i, n := range numbers {
		list[i] = string(n)
	}
	var taken, owner string
	err := tx.QueryRow(ctx, `
		SELECT n.e164, t.name FROM trunk_numbers n JOIN trunks t ON t.id = n.trunk_id
		WHERE n.e164 = ANY($1) AND n.trunk_id <> $2 ORDER BY n.e164 LIMIT 1`, list, trunk).Scan(&taken, &owner)
	if err == nil {
		return core.Errorf(core.ECONFLICT, "number %s already belongs to trunk %q", taken, owner)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO trunk_numbers (e164, trunk_id, position)
		SELECT e, $2, i - 1 FROM unnest($1::text[]) WITH ORDINALITY AS x(e, i)`, list, trunk)
	if violated(err, uniqueViolation) == "trunk_numbers_pkey" { // added by another trunk meanwhile
		return core.Errorf(core.ECONFLICT, "one of the numbers already belongs to another trunk")
	}
	return err
}

// trunkWriteError names the constraint a write to trunks broke.
func trunkWriteError(err error, name string) error {
	if violated(err, uniqueViolation) == "trunks_name_key" {
		return core.Errorf(core.ECONFLICT, "a trunk named %q already exists", name)
	}
	return err
}
