-- +goose Up
-- Sign-in takes the language and time zone from the identity provider
-- (OIDC locale, zoneinfo) until the user chooses their own, which it then
-- leaves alone.
ALTER TABLE users ADD COLUMN language_chosen boolean NOT NULL DEFAULT false,
    ADD COLUMN timezone_chosen boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN language_chosen, DROP COLUMN timezone_chosen;
