-- +goose Up
-- Operators manage trunks and read the call records from the console with
-- their own sign-in. The role lives here, not in the identity provider: a
-- federation such as ProConnect carries no role claims, and a flag the
-- operator service token sets takes effect, and is revoked, at the next
-- request on every replica, without a restart.
ALTER TABLE users ADD COLUMN operator boolean NOT NULL DEFAULT false;
CREATE INDEX users_operator ON users (id) WHERE operator;

-- +goose Down
ALTER TABLE users DROP COLUMN operator;
