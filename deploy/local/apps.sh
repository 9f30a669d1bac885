#!/usr/bin/env bash
# Starts (or restarts) the built core and sipgate from bin/ in the background,
# with .run/env, logging to .run/{core,sipgate}.log, and waits for their /healthz.
# With --foreground they run as children of this script until Ctrl-C, which
# stops them (the backing services keep running: `make down` stops those).
# The stand-in for LiveKit's SIP service (bin/lksip-standin) runs in the
# background either way, like the backing services.
source "$(dirname "$0")/lib.sh"
source "$RUN/env"

stop core
stop sipgate
stop lksip-standin
setsid "$ROOT/bin/lksip-standin" >>"$RUN/lksip-standin.log" 2>&1 </dev/null &
echo $! >"$RUN/lksip-standin.pid"

if [[ ${1:-} == --foreground ]]; then
	"$ROOT/bin/core" 2> >(tee -a "$RUN/core.log" >&2) &
	core=$!
	"$ROOT/bin/sipgate" 2> >(tee -a "$RUN/sipgate.log" >&2) &
	sipgate=$!
	echo "$core" >"$RUN/core.pid"
	echo "$sipgate" >"$RUN/sipgate.pid"
	trap 'kill $core $sipgate 2>/dev/null; wait; rm -f "$RUN/core.pid" "$RUN/sipgate.pid"; exit 0' INT TERM
else
	setsid "$ROOT/bin/core" >>"$RUN/core.log" 2>&1 </dev/null &
	echo $! >"$RUN/core.pid"
	setsid "$ROOT/bin/sipgate" >>"$RUN/sipgate.log" 2>&1 </dev/null &
	echo $! >"$RUN/sipgate.pid"
fi

wait_for core 60 curl -sf "$CORE_URL/healthz"
wait_for sipgate 20 curl -sf "http://$SIPGATE_HTTP_ADDR/healthz"
# A demo trunk and room, so that a call can be tried at once (core demo needs
# only the database); up.sh adds their exports to .run/env while it points S3's
# event webhook at the core, which is up now: one run of up.sh.
"$ROOT/bin/core" demo >"$RUN/demo.env"
"$ROOT/deploy/local/up.sh" --storage-webhook
source "$RUN/env"

cat >&2 <<MSG

  meetline is up. Open the web console: $CORE_URL/
    core     $CORE_URL   (Connect, gRPC, gRPC-Web, JSON; /healthz /readyz)
    admin    $CORE_ADMIN_URL   (/metrics, /readyz with each dependency, reflection, /debug/pprof/)
    sipgate  sip:$SIPGATE_ADDR (UDP and TCP); http://$SIPGATE_HTTP_ADDR/healthz
    LiveKit  $LIVEKIT_URL (key $LIVEKIT_API_KEY); its SIP service's stand-in on sip:$LKSIP_ADDR

  Call $DEMO_TRUNK_NUMBER at sip:$DEMO_TRUNK_NUMBER@$SIPGATE_ADDR, PIN $DEMO_ROOM_PIN#
  (LiveKit room $DEMO_ROOM_NAME), or let sipp do it: deploy/local/call-demo.sh
  Or look around:
    curl -s -H 'Content-Type: application/json' -d '{}' $CORE_URL/meetline.v1.ConfigService/GetConfig
    curl -s $CORE_ADMIN_URL/readyz
    TOKEN=\$(bin/core token --sub alice --email alice@example.org)

MSG

if [[ ${1:-} == --foreground ]]; then
	echo "  Ctrl-C stops core and sipgate." >&2
	wait
fi
