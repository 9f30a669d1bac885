-- +goose Up
-- A trunk is a PIN namespace: its numbers route to the same set of rooms.
CREATE TABLE trunks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    pin_length  smallint NOT NULL DEFAULT 10 CHECK (pin_length BETWEEN 4 AND 16),
    language    text NOT NULL DEFAULT 'en-us',
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A number belongs to one trunk: the called number alone finds the namespace.
CREATE TABLE trunk_numbers (
    e164      text PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{1,14}$'),
    trunk_id  uuid NOT NULL REFERENCES trunks (id) ON DELETE CASCADE,
    position  smallint NOT NULL DEFAULT 0
);
CREATE INDEX trunk_numbers_trunk_id ON trunk_numbers (trunk_id, position);

-- +goose Down
DROP TABLE trunk_numbers;
DROP TABLE trunks;
