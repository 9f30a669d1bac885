#!/usr/bin/env bash
# Phones a room through sipgate with sipp, as a caller would: dials the demo
# trunk's number, types PIN and #, stays on the line, then hangs up. For trying
# the web console with `make run` (or `make up`) in another terminal:
#
#	core/web/e2e/call.sh 9133285442        # the PIN the room's page shows; 60 s on the line
#	core/web/e2e/call.sh 9133285442 20     # 20 s
#	core/web/e2e/call.sh 9133285442 60 '*6*9'  # 12 s after the PIN: mute oneself, raise one's hand
#
# The caller shows up on the room's page as "Phone ••• 42" once they are let in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../.run/env" 2>/dev/null || { echo "no .run/env: run make up (or make run) first" >&2; exit 1; }
pin=${1:?usage: $0 PIN [SECONDS] [KEYS]}
pin=${pin//[^0-9]/}
seconds=${2:-60}
keys=${3:-}
keys=${keys//[^0-9*#]/}
scenario=call.xml
[ -z "$keys" ] || scenario=call-keys.xml
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ -z "$keys" ]; then
	printf 'SEQUENTIAL\n%s#;\n' "$pin" >"$dir/pin.csv"
else
	printf 'SEQUENTIAL\n%s#;%s;\n' "$pin" "$keys" >"$dir/pin.csv"
fi
echo "calling ${DEMO_TRUNK_NUMBER:?no demo trunk: run make up} at $SIPGATE_ADDR with PIN $pin, for ${seconds}s" >&2
cd "$dir"
sipp -sf "$here/$scenario" -inf pin.csv -s "$DEMO_TRUNK_NUMBER" -m 1 -d "$((seconds * 1000))" -i 127.0.0.1 \
	-timeout "$((seconds + 60))s" -timeout_error -nostdin -trace_err "$SIPGATE_ADDR" >/dev/null &&
	echo "call ended: the caller hung up after ${seconds}s" >&2 ||
	{ echo "call failed:" >&2; cat "$dir"/*errors.log >&2 2>/dev/null; exit 1; }
