-- +goose Up
-- A recording belongs to whoever started it, as in Meet: they are told when
-- it is ready and may see it, with the room's owners. Rows from before have
-- no starter: their rooms' owners keep them.
ALTER TABLE recordings ADD COLUMN started_by uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX recordings_started_by ON recordings (started_by, created_at DESC) WHERE started_by IS NOT NULL;

-- +goose Down
ALTER TABLE recordings DROP COLUMN started_by;
