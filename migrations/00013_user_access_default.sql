-- +goose Up
-- A user's default access level for new rooms is NULL until they choose one:
-- the deployment's ROOM_DEFAULT_ACCESS_LEVEL applies then (issue 17: new
-- users' rooms defaulted to public). The old column default cannot tell a
-- chosen 'public' from the default one; both go back to the deployment's
-- default, which errs on the closed side.
ALTER TABLE users ALTER COLUMN default_access_level DROP NOT NULL,
    ALTER COLUMN default_access_level DROP DEFAULT;
UPDATE users SET default_access_level = NULL WHERE default_access_level = 'public';

-- +goose Down
UPDATE users SET default_access_level = 'public' WHERE default_access_level IS NULL;
ALTER TABLE users ALTER COLUMN default_access_level SET DEFAULT 'public',
    ALTER COLUMN default_access_level SET NOT NULL;
