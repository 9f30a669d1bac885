#!/usr/bin/env bash
# sipbench: sipgate under sipp load on loopback, against a bare sipgo answer-and-hang-up server measured in
# the same run (issue 5, "Benchmarks"). Needs `make up` (core and sipgate running, the demo trunk and room
# in .run/env). Bounded: under 3 minutes, loopback only, and it stops itself: a step starts only if it
# fits in SIPBENCH_MAX_S (default 170 s), and a watchdog ends the script at SIPBENCH_MAX_S + 3 s.
#
#   loadtest/sipbench/run.sh                      # writes loadtest/out/sipbench.md
#   SIPBENCH_RATES="10 50" SIPBENCH_STEP_S=4 loadtest/sipbench/run.sh
#
# 1. Full PIN calls: per rate, RATE × STEP_S calls of sipgate/testdata/sipp/right_pin_rtp.xml with the demo
#    PIN (play_dtmf, RFC 4733) then '#'; sipgate says "connecting" and hangs up. Stepping stops at the
#    first step with a failure.
# 2. The same steps against bare (loadtest/sipbench/bare, hold 0): answer, ACK, BYE.
# 3. Concurrent calls in the IVR: SIPBENCH_IVR_CALLS callers (ivr_hold.xml) that press a key every 4 s and
#    hang up after ~12 s, against sipgate, then against bare (holding the call until the caller's BYE).
#
# Per step: calls created / successful / failed (sipp -trace_stat), the achieved call rate, the server's CPU
# (utime+stime of /proc/<pid>/stat over the step, until its active calls are back to 0) per successful
# call, and the peaks of active calls, RSS and Go heap (its /metrics, every 0.5 s) against their values
# just before the step. The machine's cores are shared with sipp itself: compare the ratios to bare, not
# the absolute figures.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/loadtest/sipbench
# shellcheck source=/dev/null
source "$ROOT/.run/env"
: "${DEMO_ROOM_PIN:?no demo room: run make up}" "${DEMO_TRUNK_NUMBER:?no demo trunk: run make up}"

RATES=${SIPBENCH_RATES:-"10 25 50 75 100 150"}
BARE_RATES=${SIPBENCH_BARE_RATES:-"$RATES 300"}
STEP_S=${SIPBENCH_STEP_S:-5}
IVR_CALLS=${SIPBENCH_IVR_CALLS:-300}
IVR_RATE=${SIPBENCH_IVR_RATE:-50}
MAX_S=${SIPBENCH_MAX_S:-170}
OUT=$ROOT/loadtest/out
REPORT=$OUT/sipbench.md
mkdir -p "$OUT"

log() { printf '[sipbench %3ds] %s\n' "$SECONDS" "$*" >&2; }

curl -sf -m 2 "http://$SIPGATE_HTTP_ADDR/healthz" >/dev/null ||
	{ log "sipgate does not answer on http://$SIPGATE_HTTP_ADDR/healthz: run make up"; exit 1; }
SIPGATE_PID=$(<"$ROOT/.run/sipgate.pid")
kill -0 "$SIPGATE_PID"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d)
BARE_PID="" SAMPLER_PID=""
cleanup() {
	[[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
	[[ -n $BARE_PID ]] && kill "$BARE_PID" 2>/dev/null && wait "$BARE_PID" 2>/dev/null
	[[ -n ${WATCHDOG_PID:-} ]] && kill "$WATCHDOG_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "stopped"; exit 1' INT TERM
(sleep $((MAX_S + 3)) && log "over time: stopping" && kill -TERM $$) 2>/dev/null &
WATCHDOG_PID=$!

# freeport: a port free on 127.0.0.1 for both UDP and TCP a moment ago.
freeport() {
	python3 - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: u.close(); t.close()
PY
}

# Scenarios: the full PIN call (as deploy/local/call-demo.sh) and the same without keys, for bare.
sed 's/play_dtmf="2468#"/play_dtmf="[field0]"/' "$ROOT/sipgate/testdata/sipp/right_pin_rtp.xml" >"$WORK/pin.xml"
sed '/play_dtmf=/d' "$ROOT/sipgate/testdata/sipp/right_pin_rtp.xml" >"$WORK/hangup.xml"
printf 'SEQUENTIAL\n%s#;\n' "$DEMO_ROOM_PIN" >"$WORK/pin.csv"

log "building bare"
go build -C "$ROOT" -o "$WORK/bare" ./loadtest/sipbench/bare
BARE_SIP=127.0.0.1:$(freeport) BARE_HTTP=127.0.0.1:$(freeport)

start_bare() { # start_bare HOLD
	[[ -n $BARE_PID ]] && { kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true; }
	"$WORK/bare" -addr "$BARE_SIP" -http "$BARE_HTTP" -hold "$1" 2>>"$WORK/bare.log" &
	BARE_PID=$!
	for _ in $(seq 50); do curl -sf -m 1 "http://$BARE_HTTP/metrics" >/dev/null && return 0; sleep 0.1; done
	log "bare did not start"; cat "$WORK/bare.log" >&2; exit 1
}

# sample URL ACTIVE: "active rss heap goroutines" from a /metrics page.
sample() {
	curl -s -m 1 "$1/metrics" | awk -v a="$2" '
		$1 == a { act = $2 } $1 == "process_resident_memory_bytes" { rss = $2 }
		$1 == "go_memstats_heap_alloc_bytes" { heap = $2 } $1 == "go_goroutines" { gr = $2 }
		END { printf "%d %d %d %d\n", act, rss, heap, gr }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
active() { sample "$1" "$2" | cut -d' ' -f1; }

# run_step KIND TARGET PID URL ACTIVE SCENARIO RATE CALLS [sipp args...]: one load step; prints a result
# line "kind rate calls created ok failed achieved cpu_ms_per_call peak_active d_rss/call d_heap/call d_gr/call".
run_step() {
	local kind=$1 target=$2 pid=$3 url=$4 act=$5 scen=$6 rate=$7 calls=$8
	shift 8
	local dir=$WORK/$kind-$rate
	mkdir -p "$dir"
	read -r _ rss0 heap0 gr0 < <(sample "$url" "$act")
	local cpu0
	cpu0=$(cpu_ticks "$pid")
	(while :; do sample "$url" "$act" >>"$dir/samples"; sleep 0.5; done) &
	SAMPLER_PID=$!
	(cd "$dir" && timeout $((calls / rate + 45)) sipp -sf "$scen" -s "$DEMO_TRUNK_NUMBER" -r "$rate" -m "$calls" \
		-l 5000 -t u1 -i 127.0.0.1 -p "$(freeport)" -mp "$(freeport)" -nostdin \
		-trace_stat -stf stat.csv -fd 500ms -timeout $((calls / rate + 40))s "$@" "$target" \
		>/dev/null 2>sipp.err) || true
	for _ in $(seq 150); do [[ $(active "$url" "$act") == 0 ]] && break; sleep 0.1; done
	local cpu1
	cpu1=$(cpu_ticks "$pid")
	kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=""
	awk -F';' -v kind="$kind" -v rate="$rate" -v calls="$calls" -v dcpu=$((cpu1 - cpu0)) -v tck="$CLK_TCK" \
		-v rss0="$rss0" -v heap0="$heap0" -v gr0="$gr0" -v samples="$dir/samples" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ created = $col["TotalCallCreated"]; ok = $col["SuccessfulCall(C)"]
		  if (!done && created + 0 >= calls) { achieved = $col["CallRate(C)"]; done = 1 } }
		END {
			if (!done) achieved = $col["CallRate(C)"]
			while ((getline line < samples) > 0) {
				split(line, s, " ")
				if (s[1] > pa) pa = s[1]
				if (s[2] > pr) pr = s[2]
				if (s[3] > ph) ph = s[3]
				if (s[4] > pg) pg = s[4]
			}
			n = pa > 0 ? pa : 1
			printf "%s %s %d %d %d %d %.1f %.2f %d %.0f %.0f %.2f\n", kind, rate, calls, created, ok, calls - ok,
				achieved, (ok > 0 ? dcpu * 1000 / tck / ok : 0), pa, (pr - rss0) / n, (ph - heap0) / n, (pg - gr0) / n
		}' "$dir/stat.csv"
}

RESULTS=$WORK/results
: >"$RESULTS"
SG_URL=http://$SIPGATE_HTTP_ADDR
# fits N: a step of about N seconds ends within MAX_S.
fits() { ((SECONDS + $1 <= MAX_S)); }

log "sipgate: full PIN calls, ${STEP_S}s per step, rates $RATES"
for r in $RATES; do
	fits $((STEP_S + 10)) || { log "no time left: skipping the rest"; break; }
	line=$(run_step pin "$SIPGATE_ADDR" "$SIPGATE_PID" "$SG_URL" sipgate_active_calls "$WORK/pin.xml" "$r" $((r * STEP_S)) -inf "$WORK/pin.csv")
	echo "$line" >>"$RESULTS"
	log "$line"
	[[ $(cut -d' ' -f6 <<<"$line") == 0 ]] || { log "failures at $r calls/s: stop stepping"; break; }
done

start_bare 0s
log "bare: answer and hang up, rates $BARE_RATES"
for r in $BARE_RATES; do
	fits $((STEP_S + 2)) || { log "no time left: skipping the rest"; break; }
	line=$(run_step bare "$BARE_SIP" "$BARE_PID" "http://$BARE_HTTP" bare_active_calls "$WORK/hangup.xml" "$r" $((r * STEP_S)))
	echo "$line" >>"$RESULTS"
	log "$line"
	[[ $(cut -d' ' -f6 <<<"$line") == 0 ]] || { log "failures at $r calls/s: stop stepping"; break; }
done

IVR_S=$((IVR_CALLS / IVR_RATE + 15))
if fits "$IVR_S"; then
	log "sipgate: $IVR_CALLS callers in the IVR at once"
	line=$(run_step ivr "$SIPGATE_ADDR" "$SIPGATE_PID" "$SG_URL" sipgate_active_calls "$HERE/ivr_hold.xml" "$IVR_RATE" "$IVR_CALLS")
	echo "$line" >>"$RESULTS"
	log "$line"
fi
if fits "$IVR_S"; then
	start_bare 60s
	log "bare: $IVR_CALLS calls held at once"
	line=$(run_step bare-hold "$BARE_SIP" "$BARE_PID" "http://$BARE_HTTP" bare_active_calls "$HERE/ivr_hold.xml" "$IVR_RATE" "$IVR_CALLS")
	echo "$line" >>"$RESULTS"
	log "$line"
fi

# The report.
{
	echo "# sipbench — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "sipgate (pid $SIPGATE_PID, sip:$SIPGATE_ADDR, its running configuration) and bare (loadtest/sipbench/bare)"
	echo "on loopback, $(nproc) cores shared with sipp; ${STEP_S} s per step. CPU: the server's utime+stime over the"
	echo "step divided by the successful calls. RSS, heap, goroutines: peak during the step minus the value before"
	echo "it, divided by the peak of active calls (noisy: GC timing; — when under 10 calls were active at once)."
	echo "sipgate answers 503 beyond SIPGATE_MAX_CALLS concurrent calls (default 500) and has one RTP port per call"
	echo "(SIPGATE_RTP_PORTS): a full PIN call lasts about 6.5 s (11 keys of 400 ms, then the 2 s \"connecting\"), so"
	echo "a sustained rate above MAX_CALLS / 6.5 s fails on that limit, not on CPU; a short step can exceed it."
	echo
	echo "| test | offered calls/s | achieved calls/s | calls | ok | failed | CPU ms/call | peak active | RSS/active call | heap/active call | goroutines/call |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk '{
		name = $1 == "pin" ? "sipgate full PIN" : $1 == "bare" ? "bare answer+BYE" : $1 == "ivr" ? "sipgate in IVR (held)" : "bare held"
		mem = $9 < 10 ? "— | — | —" : sprintf("%.1f KiB | %.1f KiB | %.2f", $10 / 1024, $11 / 1024, $12)
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, $2, $7, $3, $5, $6, $8, $9, mem
	}' "$RESULTS"
	echo
	awk '
		$1 == "pin" && $6 == 0 { if ($2 + 0 > sg) sg = $2 + 0; sgc[$2] = $8 }
		$1 == "bare" && $6 == 0 { if ($2 + 0 > bb) bb = $2 + 0; bc[$2] = $8 }
		$1 == "pin" && $6 > 0 && !sgf { sgf = $2 }
		$1 == "bare" && $6 > 0 && !bf { bf = $2 }
		$1 == "ivr" { ih = $11; ir = $10; ia = $9 }
		$1 == "bare-hold" { bh = $11; br = $10 }
		END {
			sgn = sgf ? " (failures from " sgf ")" : " (highest step run)"
			bn = bf ? " (failures from " bf ")" : " (highest step run)"
			printf "- highest zero-failure rate: sipgate full PIN **%s calls/s**%s; bare **%s calls/s**%s\n", sg, sgn, bb, bn
			n = 0; s = 0
			for (r in sgc) if (r in bc && bc[r] > 0) { s += sgc[r] / bc[r]; n++ }
			if (n) printf "- CPU per call, sipgate full PIN / bare at the same rates: **%.1f×** (mean over %d rates)\n", s / n, n
			if (ia) printf "- in the IVR: %d calls at once; heap %.1f KiB and RSS %.1f KiB per call", ia, ih / 1024, ir / 1024
			if (ia && bh) printf " (bare holding calls: heap %.1f KiB, RSS %.1f KiB per call)", bh / 1024, br / 1024
			if (ia) printf "\n"
		}' "$RESULTS"
} >"$REPORT"
log "wrote $REPORT"
cat "$REPORT"
