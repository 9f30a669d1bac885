-- +goose Up
-- Nobody joins the marketing list without saying yes (issue 17 item 9):
-- every new user was queued for it. Off until the user turns it on.
ALTER TABLE users ADD COLUMN marketing_consent boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN marketing_consent;
