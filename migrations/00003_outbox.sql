-- +goose Up
-- Mail waiting to be sent, written in the same transaction as the change that
-- causes it (transactional outbox): a committed change always has its mail,
-- and a rolled-back one never does. The mail worker of any core replica
-- claims due rows with FOR UPDATE SKIP LOCKED.
--
-- next_attempt_at is both the retry time and the lease: claiming a row moves
-- it to now() + lease, so a row whose worker died becomes due again by itself,
-- and the one partial index below serves every claim.
CREATE TABLE outbox (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind <> ''),
    recipient        text NOT NULL CHECK (recipient <> ''),
    subject          text NOT NULL,
    text_body        text NOT NULL,
    html_body        text NOT NULL DEFAULT '',
    -- [{"name": …, "content_type": …, "data": base64}]
    attachments      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attachments) = 'array'),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- The last SMTP or network error, with e-mail addresses redacted.
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CONSTRAINT outbox_sent_at CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
-- Failed messages are kept for inspection; operators list them by age.
CREATE INDEX outbox_failed ON outbox (created_at) WHERE status = 'failed';

-- +goose Down
DROP TABLE outbox;
