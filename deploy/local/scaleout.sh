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

# The report. sipp's own counts (stat.csv: successful and failed calls) are
# the totals. Per call, sipp's logs (field 6 is the epoch) say more: start,
# answered (by which replica: the port in its Contact), done (the dialog ended
# normally: the caller's BYE got 200, or sipgate's BYE got the caller's 200).
# A call lasts CALL_S from its answer. A call may fail only if B answered it
# and it was still going when B was killed; any other failure counts against
# the run, and so does a call A held at SIGTERM that did not end normally.
# (Under heavy load sipp can drop a log line: a call it counts as successful
# is not blamed for a missing "done".)
CALL_S=15
RESULT=$DIR/result
for p in 1 2 3 4; do
	read -r ok failed < <(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ ok = $col["SuccessfulCall(C)"]; failed = $col["FailedCall(C)"] } END { print ok + 0, failed + 0 }' "$DIR/phase$p/stat.csv" 2>/dev/null || echo 0 0)
	cat "$DIR/phase$p/calls.log" 2>/dev/null |
		awk -v phase="$p" -v A="${SIP_PORT[a]}" -v B="${SIP_PORT[b]}" -v term="$T_TERM" -v kill="$T_KILL" -v len="$CALL_S" \
			-v ok="$ok" -v failed="$failed" '
		$1 == "start" { start[$2] = $6; n++ }
		$1 == "answered" { node[$2] = $3; at[$2] = $6; s = $6 - start[$2]; if (s > slowest) slowest = s }
		$1 == "done" { done[$2] = $7 }
		END {
			for (c in start) {
				by = (c in node) ? node[c] : "-"
				if (by == A) byA++
				if (by == B) byB++
				held_at_term = by == A && at[c] < term && at[c] + len > term
				held_at_kill = by == B && at[c] < kill && at[c] + len + 1 > kill
				if (held_at_term) { drainHeld++; if (done[c] != "") drainDone++ }
				if (done[c] == "sipgate") bySipgate++
				else if (done[c] == "" && held_at_kill) lostB++
			}
			if (lostB > failed) lostB = failed
			drainLost = drainHeld - drainDone
			if (drainLost > failed) drainLost = failed
			printf "%d %d %d %d %d %d %d %d %.2f %d %d\n", phase, ok + failed, ok, bySipgate, byA, byB, lostB, failed - lostB, slowest, drainHeld, drainHeld - drainLost
		}'
done >"$RESULT"
FAILOVER_503=$(grep -c 'failed the call (503)' "$RUN/scaleout-kamailio.log" || true)
FAILOVER_TIMEOUT=$(grep -c 'failed the call (408)' "$RUN/scaleout-kamailio.log" || true)
metric_sum() { # metric_sum NAME: NAME summed over the last sample of every replica process
	local f sum=0
	for f in "$DIR"/metrics-*; do
		[[ $f == *.tmp ]] && continue # a sample being written when its replica died
		sum=$((sum + $(awk -v n="$1" '$1 == n { v = $2 } END { printf "%d", v }' "$f")))
	done
	echo "$sum"
}
BRIDGED=$(metric_sum 'sipgate_handoffs_total{result="bridged"}')
HANDOFF_FAILED=$(metric_sum 'sipgate_handoffs_total{result="failed"}')
read -r ATTEMPTED SUCCEEDED LOST_B OTHER DRAIN_HELD DRAIN_DONE < <(awk '
	{ a += $2; s += $3; l += $7; o += $8; h += $10; d += $11 } END { print a + 0, s + 0, l + 0, o + 0, h + 0, d + 0 }' "$RESULT")

{
	echo "# Scale-out: Kamailio in front of two sipgates — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "\`make scaleout-test\` (deploy/local/scaleout.sh): Kamailio $(kamailio -v 2>/dev/null | awk 'NR == 1 { print $3 }') with"
	echo "deploy/kamailio/kamailio.cfg (dispatcher, round robin, OPTIONS every second, only 2xx counts as alive),"
	echo "sipgate A (sip:127.0.0.1:${SIP_PORT[a]}) and B (sip:127.0.0.1:${SIP_PORT[b]}) sharing one core, Postgres, Valkey and"
	echo "LiveKit SIP stand-in, on loopback ($(nproc) cores shared with everything). Callers: sipp, $RATE new calls/s for"
	echo "${PHASE_S} s per phase; each call goes through Kamailio: the demo PIN, the bridge into the LiveKit room, talk, and"
	echo "the caller's BYE ${CALL_S} s after the answer (deploy/local/scaleout-call.xml). A call succeeds when its dialog ends"
	echo "normally: the caller's BYE gets 200, or sipgate hangs up (its hand-off into LiveKit refused) and the caller"
	echo "answers 200. Calls outlive their phase: a row counts the calls *placed* in that phase."
	echo
	echo "| phase | what happens at its start | placed | succeeded | of which sipgate hung up | failed | answered by A | answered by B | lost on B (killed) | other failures | slowest answer |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk 'BEGIN {
			w[1] = "both replicas up"
			w[2] = "A gets SIGTERM: drains, exits, is started again"
			w[3] = "both up again"
			w[4] = "B gets SIGKILL"
		}
		{ printf "| %d | %s | %d | %d | %d | %d | %d | %d | %d | %d | %.2f s |\n", $1, w[$1], $2, $3, $4, $2 - $3, $5, $6, $7, $8, $9 }' "$RESULT"
	echo
	echo "- **$SUCCEEDED of $ATTEMPTED** calls succeeded; **$LOST_B lost on B**, the calls it held when it was killed;"
	echo "  other failures: **$OTHER**."
	echo "- drain: A held **$DRAIN_HELD** calls at SIGTERM and **$DRAIN_DONE** of them ended normally. Kamailio marked A"
	echo "  inactive ${EVENT[a_inactive]} s after SIGTERM (its OPTIONS got 503); A exited ${EVENT[a_drain]} s after SIGTERM,"
	echo "  when its last call ended; started again, it was active in Kamailio ${EVENT[a_active]} s later."
	echo "- kill: Kamailio marked B inactive ${EVENT[b_inactive]} s after SIGKILL (no answer to OPTIONS within fr_timer, 2 s)."
	echo "- Kamailio sent $FAILOVER_503 INVITEs on to the other replica after a 503 (A draining before its probe said so)"
	echo "  and $FAILOVER_TIMEOUT after no answer (B dead before its probe said so): those callers saw a slower answer, not a failure."
	echo "- hand-offs into LiveKit (the replicas' /metrics; a killed one's last sample): $BRIDGED bridged, $HANDOFF_FAILED failed."
	echo "  After a failed one sipgate tells the caller and hangs up (\"of which sipgate hung up\"). They depend on LiveKit"
	echo "  and its SIP service (here the stand-in) having CPU, not on Kamailio, and vary with the machine's other load."
	echo
	echo "A call on a killed replica is lost: its SIP dialog and its media lived in that process. The caller hears"
	echo "silence until it or its carrier gives up (here its BYE gets 408 from Kamailio). A drained replica loses"
	echo "nothing: stop replicas with SIGTERM and a drain timeout longer than the calls to keep (docs/operations.md)."
} >"$REPORT"
cat "$REPORT" >&2

if ((OTHER > 0 || SUCCEEDED == 0 || DRAIN_DONE < DRAIN_HELD)); then
	say "FAIL: $OTHER unexpected failures, $DRAIN_DONE of $DRAIN_HELD drained calls ended well (see $DIR/phase*/errors.log)"
	exit 1
fi
say "ok: report in ${REPORT#"$ROOT"/}"
