#!/usr/bin/env bash
# make scaleout-test: Kamailio's dispatcher (deploy/kamailio/kamailio.cfg) in
# front of two sipgate replicas of this script's own (A and B), sharing the
# core, Postgres, Valkey and the LiveKit SIP stand-in of `make up`; sipp calls
# the demo room through Kamailio at a steady rate while replicas go away:
#
#   phase 1  both replicas up
#   phase 2  A gets SIGTERM at the start: it drains (OPTIONS and new INVITEs
#            answered 503), its calls finish, it exits; then it is started
#            again, as a rolling upgrade does
#   phase 3  both up again
#   phase 4  B gets SIGKILL at the start: its calls are lost, Kamailio finds
#            it dead (no answer to OPTIONS, or to an INVITE) and sends new
#            calls to A
#
# New calls must keep succeeding in every phase, and the calls A had when it
# was told to stop must end normally; the only failures allowed are calls B
# had answered before it was killed, which the report counts. The report goes
# to loadtest/out/scaleout.md; the exit status says whether the run held.
#
# Bounded: loopback only, about 90 s; a watchdog stops the script at
# SCALEOUT_MAX_S (170 s), and the EXIT trap stops every process it started
# (by pid), whatever happens.
#
#   SCALEOUT_RATE=4 SCALEOUT_PHASE_S=15 deploy/local/scaleout.sh
#
# The callers are sipp (deploy/local/scaleout-call.xml); the Go caller of
# loadtest/ can take their place in run_phase once it speaks through a proxy
# (Route set) and reports per call which replica answered.
source "$(dirname "$0")/lib.sh"

RATE=${SCALEOUT_RATE:-4}
PHASE_S=${SCALEOUT_PHASE_S:-15}
MAX_S=${SCALEOUT_MAX_S:-170}
# A replica's drain waits for its calls (15 s from the answer here, longer on
# a loaded machine) and no longer.
DRAIN_S=60
DIR=$RUN/scaleout
OUT=$ROOT/loadtest/out
REPORT=$OUT/scaleout.md
CTL=unix:$DIR/kamailio_ctl

say() { printf '[scaleout %3ds] %s\n' "$SECONDS" "$*" >&2; }

command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
	{ say "kamailio is missing: run deploy/local/install.sh (make up does)"; exit 1; }
export PATH=$PATH:/usr/sbin

# The shared stack: core (with LiveKit's SIP routing provisioned), the stand-in
# for LiveKit's SIP service, and the demo trunk and room. apps.sh (re)starts
# them only when something is missing, so a running `make up` is left alone.
source "$RUN/env"
if ! curl -sf -m 2 "$CORE_URL/readyz" >/dev/null || ! alive lksip-standin || [[ -z ${DEMO_ROOM_PIN:-} ]]; then
	say "core, the LiveKit SIP stand-in or the demo room is missing: deploy/local/apps.sh"
	"$ROOT/deploy/local/apps.sh"
	source "$RUN/env"
fi

# What a previous run left, if it was killed before its EXIT trap ran.
stop scaleout-kamailio
stop scaleout-sipgate-a
stop scaleout-sipgate-b

# Its ports must be free: they sit in the kernel's ephemeral range, where a
# busy machine's outgoing sockets can hold one for a while.
busy=$({
	ss -Hlnu | awk '{ print "udp " $4 }'
	ss -Hlnt | awk '{ print "tcp " $4 }'
} | grep -E "^(udp|tcp) .*:($KAMAILIO_SIP_PORT|$SCALEOUT_A_SIP_PORT|$SCALEOUT_B_SIP_PORT)\$|^tcp .*:($SCALEOUT_A_HTTP_PORT|$SCALEOUT_B_HTTP_PORT)\$" || true)
if [[ -n $busy ]]; then
	say "in use: $(echo "$busy" | tr '\n' ' ')(see ss -lntup); move them with KAMAILIO_SIP_PORT, SCALEOUT_{A,B}_{SIP,HTTP}_PORT"
	exit 1
fi

rm -rf "$DIR"
mkdir -p "$DIR" "$OUT"
SIPP_PIDS=() SAMPLER_PIDS=()
cleanup() {
	local pid
	for pid in "${SIPP_PIDS[@]}" "${SAMPLER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	# The watchdog first, then its sleep, which would outlive it.
	if [[ -n ${WATCHDOG_PID:-} ]]; then
		kill "$WATCHDOG_PID" 2>/dev/null
		[[ -f $DIR/watchdog.pid ]] && kill "$(<"$DIR/watchdog.pid")" 2>/dev/null
	fi
	stop scaleout-kamailio
	stop scaleout-sipgate-a
	stop scaleout-sipgate-b
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'say "stopped (interrupted, or over SCALEOUT_MAX_S=${MAX_S}s)"; exit 1' INT TERM
(
	sleep "$MAX_S" &
	echo $! >"$DIR/watchdog.pid"
	wait $! && kill -TERM $$
) >/dev/null 2>&1 &
WATCHDOG_PID=$!

declare -A SIP_PORT=([a]=$SCALEOUT_A_SIP_PORT [b]=$SCALEOUT_B_SIP_PORT)
declare -A HTTP_PORT=([a]=$SCALEOUT_A_HTTP_PORT [b]=$SCALEOUT_B_HTTP_PORT)
declare -A RTP_PORTS=([a]=$SCALEOUT_A_RTP_PORTS [b]=$SCALEOUT_B_RTP_PORTS)
STARTS=0

# start_sipgate a|b: bin/sipgate with .run/env and its own SIP, HTTP and RTP
# ports; its /metrics are sampled every 0.5 s (the last sample outlives it).
start_sipgate() {
	local r=$1 name=scaleout-sipgate-$1
	STARTS=$((STARTS + 1))
	SIPGATE_SIP_ADDR=127.0.0.1:${SIP_PORT[$r]} SIPGATE_HTTP_ADDR=127.0.0.1:${HTTP_PORT[$r]} \
		SIPGATE_RTP_PORTS=${RTP_PORTS[$r]} SIPGATE_DRAIN_TIMEOUT=${DRAIN_S}s \
		SIPGATE_USER_AGENT="meetline-sipgate-$r" \
		setsid "$ROOT/bin/sipgate" >>"$RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
	disown # its pid file tracks it; no "Killed" from bash when phase 4 kills it
	wait_for "$name" 10 curl -sf "http://127.0.0.1:${HTTP_PORT[$r]}/healthz"
	local samples=$DIR/metrics-$r-$STARTS
	(while :; do
		curl -s -m 1 "http://127.0.0.1:${HTTP_PORT[$r]}/metrics" >"$samples.tmp" 2>/dev/null &&
			[[ -s $samples.tmp ]] && mv "$samples.tmp" "$samples"
		sleep 0.5
	done) >/dev/null 2>&1 &
	SAMPLER_PIDS+=($!)
}

# ds_flags a|b: the replica's dispatcher flags in Kamailio (AP active, IP inactive).
ds_flags() {
	kamcmd -s "$CTL" dispatcher.list 2>/dev/null |
		awk -v uri="sip:127.0.0.1:${SIP_PORT[$1]}" '$1 == "URI:" { u = $2 } $1 == "FLAGS:" && u == uri { print $2 }'
}

# await_flags a|b FLAGS SECONDS: wait until Kamailio shows the replica so; prints the seconds it took.
await_flags() {
	local t0=$EPOCHREALTIME i
	for ((i = 0; i < $3 * 10; i++)); do
		if [[ $(ds_flags "$1") == "$2" ]]; then
			awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
			return 0
		fi
		sleep 0.1
	done
	echo "never"
	return 1
}

start_kamailio() {
	printf '# set destination (sipgate replicas)\n1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' \
		"${SIP_PORT[a]}" "${SIP_PORT[b]}" >"$DIR/dispatcher.list"
	# -DD: stay in the foreground (the pid is the main process), -E: log to stderr.
	KAMAILIO_DISPATCHER_LIST=$DIR/dispatcher.list KAMAILIO_CTL_SOCKET=$CTL \
		setsid kamailio -DD -E -m 64 -M 8 -Y "$DIR" -f "$ROOT/deploy/kamailio/kamailio.cfg" \
		-l "udp:127.0.0.1:$KAMAILIO_SIP_PORT" -l "tcp:127.0.0.1:$KAMAILIO_SIP_PORT" \
		>"$RUN/scaleout-kamailio.log" 2>&1 </dev/null & # this run's only: the report counts its lines
	echo $! >"$RUN/scaleout-kamailio.pid"
	disown
	wait_for scaleout-kamailio 10 kamcmd -s "$CTL" core.version
}

# run_phase N: N's callers in the background, RATE calls/s for PHASE_S s.
# sipp picks its SIP port; its media ports are fixed per phase (mp and mp+2),
# since nothing here may take seconds: a helper in Python started through a
# pyenv shim took 7 s per port on a loaded machine, and the phases slid.
# SCALEOUT_SIPP_ARGS adds sipp options (-trace_msg to see every message).
run_phase() {
	local d=$DIR/phase$1
	mkdir -p "$d"
	# shellcheck disable=SC2086 # SCALEOUT_SIPP_ARGS is a list of options
	(cd "$d" && exec timeout $((PHASE_S + 60)) sipp -sf "$ROOT/deploy/local/scaleout-call.xml" \
		-inf "$DIR/pin.csv" -s "$DEMO_TRUNK_NUMBER" -r "$RATE" -m $((RATE * PHASE_S)) -l 1000 \
		-t u1 -i 127.0.0.1 -mp $((SCALEOUT_CALLER_MEDIA_PORT + 4 * ($1 - 1))) -nostdin \
		-trace_logs -log_file calls.log -trace_err -error_file errors.log -trace_stat -stf stat.csv -fd 5 \
		${SCALEOUT_SIPP_ARGS:-} \
		-timeout $((PHASE_S + 50))s "127.0.0.1:$KAMAILIO_SIP_PORT" >/dev/null 2>sipp.err) &
	SIPP_PIDS+=($!)
	PHASE_START[$1]=$EPOCHREALTIME
}

# sleep_until_phase_end N: the rest of phase N's PHASE_S seconds.
sleep_until_phase_end() {
	sleep "$(awk -v s="${PHASE_START[$1]}" -v now="$EPOCHREALTIME" -v p="$PHASE_S" 'BEGIN { l = s + p - now; print (l > 0 ? l : 0) }')"
}

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

declare -A PHASE_START EVENT
printf 'SEQUENTIAL\n%s#;\n' "$DEMO_ROOM_PIN" >"$DIR/pin.csv"

say "starting sipgate A (sip:127.0.0.1:${SIP_PORT[a]}), B (sip:127.0.0.1:${SIP_PORT[b]}) and Kamailio (sip:127.0.0.1:$KAMAILIO_SIP_PORT)"
start_sipgate a
start_sipgate b
start_kamailio
await_flags a AP 10 >/dev/null && await_flags b AP 10 >/dev/null ||
	{ say "Kamailio does not see both replicas active"; kamcmd -s "$CTL" dispatcher.list >&2; exit 1; }

say "phase 1: both replicas, $RATE calls/s for ${PHASE_S}s"
run_phase 1
sleep_until_phase_end 1

say "phase 2: SIGTERM to A (drain)"
A_PID=$(<"$RUN/scaleout-sipgate-a.pid")
T_TERM=$EPOCHREALTIME
kill -TERM "$A_PID"
run_phase 2
EVENT[a_inactive]=$(await_flags a IP 5 || true)
say "A inactive in Kamailio after ${EVENT[a_inactive]}s"
while kill -0 "$A_PID" 2>/dev/null && (($(since "$T_TERM" | cut -d. -f1) < DRAIN_S + 5)); do sleep 0.1; done
EVENT[a_drain]=$(since "$T_TERM")
kill -0 "$A_PID" 2>/dev/null && { say "A still runs ${EVENT[a_drain]}s after SIGTERM"; exit 1; }
say "A drained and exited ${EVENT[a_drain]}s after SIGTERM; starting it again"
start_sipgate a
EVENT[a_active]=$(await_flags a AP 10 || true)
say "A active again in Kamailio after ${EVENT[a_active]}s"
sleep_until_phase_end 2

say "phase 3: both replicas again"
run_phase 3
sleep_until_phase_end 3

say "phase 4: SIGKILL to B"
T_KILL=$EPOCHREALTIME
kill -KILL "$(<"$RUN/scaleout-sipgate-b.pid")"
run_phase 4
EVENT[b_inactive]=$(await_flags b IP 10 || true)
say "B inactive in Kamailio after ${EVENT[b_inactive]}s"
sleep_until_phase_end 4

say "waiting for the last calls to end"
for pid in "${SIPP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
SIPP_PIDS=()

# The report comes from Go (loadtest/scaleout): sipp's statistics and call
# logs per phase, the replicas' last /metrics samples and Kamailio's log,
# with the moments this script measured. It exits 1 when the run did not hold.
"$ROOT/bin/scaleout-report" -out "$REPORT" -dir "$DIR" -kamailio-log "$RUN/scaleout-kamailio.log" \
	-port-a "${SIP_PORT[a]}" -port-b "${SIP_PORT[b]}" -term "$T_TERM" -kill "$T_KILL" -call-s 15 \
	-kamailio-version "$(kamailio -v 2>/dev/null | awk 'NR == 1 { print $3 }')" -rate "$RATE" -phase-s "$PHASE_S" \
	-a-inactive "${EVENT[a_inactive]}" -a-drain "${EVENT[a_drain]}" -a-active "${EVENT[a_active]}" \
	-b-inactive "${EVENT[b_inactive]}" ||
	{ say "FAIL: see the report and $DIR/phase*/errors.log"; exit 1; }
say "ok: report in ${REPORT#"$ROOT"/}"
