#!/usr/bin/env bash
# crash.sh NAME: SIGKILL one service of the stack, as a crash or an OOM kill
# would, and leave it down (restart.sh NAME brings it back). NAME is one of
# postgres valkey s3 livekit mailpit core core-2 sipgate lksip-standin.
# What does not run is left alone. make chaos uses it; so can an operator
# rehearsing the runbook (docs/operations.md).
source "$(dirname "$0")/lib.sh"

name=${1:?usage: crash.sh NAME}
pid=$(pidof_service "$name")
if [[ -z $pid ]]; then
	log "$name is not running"
	exit 0
fi
log "SIGKILL $name (pid $pid)"
kill -9 "$pid"
for ((i = 0; i < 100; i++)); do
	kill -0 "$pid" 2>/dev/null || exit 0
	sleep 0.1
done
log "$name (pid $pid) still there 10 s after SIGKILL"
exit 1
