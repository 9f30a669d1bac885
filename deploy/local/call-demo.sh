#!/usr/bin/env bash
# Calls the demo room through sipgate with sipp, as a phone would: the INVITE
# goes to the demo trunk number, the PIN and '#' are typed as RFC 4733 events
# once the prompt starts, and sipp waits for sipgate's BYE. Run `make up`
# (or `make run` in another terminal) first.
source "$(dirname "$0")/lib.sh"
source "$RUN/env"
: "${DEMO_ROOM_PIN:?no demo room yet: run make up}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The test scenario, with the demo PIN in place of the test's.
sed 's/play_dtmf="2468#"/play_dtmf="[field0]"/' "$ROOT/sipgate/testdata/sipp/right_pin_rtp.xml" >"$dir/call.xml"
printf 'SEQUENTIAL\n%s#;\n' "$DEMO_ROOM_PIN" >"$dir/pin.csv"
cd "$dir"
sipp -sf call.xml -inf pin.csv -s "$DEMO_TRUNK_NUMBER" -m 1 -timeout 60s -timeout_error -trace_err "$SIPGATE_ADDR" >/dev/null &&
	log "call completed: PIN accepted, sipgate said 'connecting you' and hung up" ||
	{ log "call failed; see $dir"; cat "$dir"/*errors.log 2>/dev/null; exit 1; }
