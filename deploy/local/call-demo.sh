#!/usr/bin/env bash
# Calls the demo room through sipgate with sipp, as a phone would: the INVITE
# goes to the demo trunk number, the PIN and '#' are typed as RFC 4733 events,
# sipgate hands the call to LiveKit (here the stand-in for its SIP service,
# which joins the room as the caller), sipp talks for a few seconds (its G.711
# recording) and hangs up. Run `make up` (or `make run` in another terminal)
# first. Watch the room meanwhile: its participants list shows "Phone 5642".
source "$(dirname "$0")/lib.sh"
source "$RUN/env"
: "${DEMO_ROOM_PIN:?no demo room yet: run make up}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The test scenario, with the demo PIN in place of the test's.
sed 's/play_dtmf="2468#"/play_dtmf="[field0]"/' "$ROOT/sipgate/testdata/sipp/bridged.xml" >"$dir/call.xml"
printf 'SEQUENTIAL\n%s#;\n' "$DEMO_ROOM_PIN" >"$dir/pin.csv"
cd "$dir"
before=$(curl -sf "http://$SIPGATE_HTTP_ADDR/metrics" | sed -n 's/^sipgate_calls_total{outcome="connected"} //p')
sipp -sf call.xml -inf pin.csv -s "$DEMO_TRUNK_NUMBER" -m 1 -timeout 60s -timeout_error -trace_err "$SIPGATE_ADDR" >/dev/null ||
	{ log "call failed; see $dir"; cat "$dir"/*errors.log 2>/dev/null; exit 1; }
after=$(curl -sf "http://$SIPGATE_HTTP_ADDR/metrics" | sed -n 's/^sipgate_calls_total{outcome="connected"} //p')
if [[ ${after%.*} -gt ${before%.*} ]]; then
	log "call completed: PIN accepted, bridged into LiveKit room $DEMO_ROOM_NAME, then hung up"
else
	log "the call ended without reaching the room: see .run/sipgate.log"
	exit 1
fi
