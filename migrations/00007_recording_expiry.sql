-- +goose Up
-- The core expires recordings itself (a bucket lifecycle rule cannot tell a
-- permanent recording from the others): expired_at is when it deleted the
-- file, and the row stays, for the organiser to see what happened.
ALTER TABLE recordings ADD COLUMN expired_at timestamptz;
-- The expiry pass looks for old recordings not yet expired.
CREATE INDEX recordings_unexpired ON recordings (created_at) WHERE expired_at IS NULL AND NOT permanent;

-- +goose Down
DROP INDEX recordings_unexpired;
ALTER TABLE recordings DROP COLUMN expired_at;
