-- +goose Up
-- sipgate's record of every call (issue 23), partitioned by the month the call
-- started so that retention drops whole partitions instead of deleting rows.
-- The core creates each month's partition before it stores the first record
-- of that month (postgres.CallRecordService). No clear phone number of a
-- caller is stored: caller is masked, caller_hash a keyed hash.
CREATE TABLE call_records (
    id           text        NOT NULL,
    started_at   timestamptz NOT NULL,
    answered_at  timestamptz,
    ended_at     timestamptz,
    called       text        NOT NULL DEFAULT '',
    trunk_id     text        NOT NULL DEFAULT '',
    caller       text        NOT NULL DEFAULT '',
    caller_hash  text        NOT NULL DEFAULT '',
    transport    text        NOT NULL DEFAULT '',
    dtmf_method  text        NOT NULL DEFAULT '',
    pin_outcome  text        NOT NULL DEFAULT '',
    room_id      text        NOT NULL DEFAULT '',
    admission    text        NOT NULL DEFAULT '',
    handoff      text        NOT NULL DEFAULT '',
    bridged_ms   bigint      NOT NULL DEFAULT 0,
    hangup_by    text        NOT NULL DEFAULT '',
    outcome      text        NOT NULL DEFAULT '',
    sip_code     integer     NOT NULL DEFAULT 0,
    reason       text        NOT NULL DEFAULT '',
    instance     text        NOT NULL DEFAULT '',
    final        boolean     NOT NULL DEFAULT false,
    phase        text        NOT NULL DEFAULT '',
    PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);

-- The operators' filters, and the search for calls that never ended.
CREATE INDEX call_records_started ON call_records (started_at);
CREATE INDEX call_records_open ON call_records (started_at) WHERE NOT final;

-- +goose Down
DROP TABLE call_records;
