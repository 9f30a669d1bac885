-- +goose Up
-- A role given by e-mail to someone who never signed in: it becomes a
-- room_accesses row when a user first signs in with that (verified) address.
CREATE TABLE pending_accesses (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    room_id     uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email <> ''),
    role        text NOT NULL CHECK (role IN ('member', 'administrator', 'owner')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pending_accesses_room_email ON pending_accesses (room_id, lower(email));
CREATE INDEX pending_accesses_email ON pending_accesses (lower(email));

-- +goose Down
DROP TABLE pending_accesses;
