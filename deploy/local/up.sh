#!/usr/bin/env bash
# Starts the backing services on loopback (Postgres, Valkey, S3, LiveKit), each
# with its own data dir, port, log and pid file under .run/, waits until each
# answers, and writes .run/env. Idempotent: what already runs is left running.
# With --storage-webhook it (re)starts S3 with its event webhook pointed at the
# core, which must be up by then: versitygw refuses to start otherwise.
source "$(dirname "$0")/lib.sh"

"$ROOT/deploy/local/install.sh"
source "$ROOT/deploy/local/services.sh"

start_postgres &
pg=$!
start_valkey
start_livekit &
lk=$!
start_s3
start_mail
wait $pg
wait $lk
write_env
log "services ready; environment in $RUN/env"

if [[ ${1:-} == --storage-webhook ]]; then
	start_s3 "http://127.0.0.1:$CORE_PORT/webhooks/storage?token=$STORAGE_WEBHOOK_TOKEN"
fi
