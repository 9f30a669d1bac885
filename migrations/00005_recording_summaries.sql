-- +goose Up
-- Transcripts go to an external summary service, whose answer is recorded.
ALTER TABLE recordings DROP CONSTRAINT recordings_status_check;
ALTER TABLE recordings ADD CONSTRAINT recordings_status_check CHECK (status IN ('initiated', 'active', 'stopped',
    'saved', 'aborted', 'failed_to_start', 'failed_to_stop', 'notification_succeeded',
    'external_process_successful', 'external_process_failed'));

-- +goose Down
ALTER TABLE recordings DROP CONSTRAINT recordings_status_check;
ALTER TABLE recordings ADD CONSTRAINT recordings_status_check CHECK (status IN ('initiated', 'active', 'stopped',
    'saved', 'aborted', 'failed_to_start', 'failed_to_stop', 'notification_succeeded'));
