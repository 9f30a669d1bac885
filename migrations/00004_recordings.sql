-- +goose Up
CREATE TABLE recordings (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    room_id     uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    mode        text NOT NULL CHECK (mode IN ('screen_recording', 'transcript')),
    status      text NOT NULL CHECK (status IN ('initiated', 'active', 'stopped', 'saved', 'aborted',
                    'failed_to_start', 'failed_to_stop', 'notification_succeeded')),
    options     jsonb NOT NULL DEFAULT '{}',
    egress_id   text UNIQUE,
    permanent   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- One live recording per room: concurrent starts race here and exactly one wins.
CREATE UNIQUE INDEX recordings_one_live_per_room ON recordings (room_id) WHERE status IN ('initiated', 'active');
CREATE INDEX recordings_room ON recordings (room_id, created_at DESC);

-- +goose Down
DROP TABLE recordings;
