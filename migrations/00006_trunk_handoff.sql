-- +goose Up
-- How sipgate hands a trunk's callers to LiveKit: it bridges them itself, or
-- asks the carrier to transfer the call (REFER), which only some carriers do.
-- Existing trunks bridge, as sipgate always has; a constant default adds the
-- column without rewriting the table.
ALTER TABLE trunks ADD COLUMN handoff text NOT NULL DEFAULT 'bridge' CHECK (handoff IN ('bridge', 'refer'));

-- +goose Down
ALTER TABLE trunks DROP COLUMN handoff;
