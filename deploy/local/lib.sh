# Shared settings for the deploy/local scripts. Sourced, never run.
# Every port can be overridden from the environment; defaults stay clear of the
# services' usual ports so a developer's own Postgres or Redis is left alone, and
# below the kernel's ephemeral range (32768-60999, net.ipv4.ip_local_port_range),
# where any outgoing socket may hold them: after a load test leaves sockets in
# TIME_WAIT, a port there can refuse to bind. deploy/ports_test.go checks it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=${MEETLINE_TOOLS:-$ROOT/.tools}
RUN=${MEETLINE_RUN:-$ROOT/.run}
mkdir -p "$TOOLS/bin" "$RUN"

PG_PORT=${PG_PORT:-15432}
VALKEY_PORT=${VALKEY_PORT:-16379}
S3_PORT=${S3_PORT:-17070}
LIVEKIT_PORT=${LIVEKIT_PORT:-17880}
LIVEKIT_RTC_TCP_PORT=${LIVEKIT_RTC_TCP_PORT:-17881}
LIVEKIT_RTC_UDP_START=${LIVEKIT_RTC_UDP_START:-17900}
LIVEKIT_RTC_UDP_END=${LIVEKIT_RTC_UDP_END:-17999}
CORE_PORT=${CORE_PORT:-18080}
# make chaos: a second core replica (deploy/local/restart.sh core-2), beside the first.
CORE2_PORT=${CORE2_PORT:-18083}
CORE2_ADMIN_PORT=${CORE2_ADMIN_PORT:-18084}
CORE_ADMIN_PORT=${CORE_ADMIN_PORT:-18082}
SIPGATE_SIP_PORT=${SIPGATE_SIP_PORT:-15060}
SIPGATE_HTTP_PORT=${SIPGATE_HTTP_PORT:-18081}
# Room for make loadtest's 1,000 concurrent calls: one port per call, two
# when bridged; kept below the kernel's ephemeral range (32768 and up), where
# outgoing sockets would take ports from it.
SIPGATE_RTP_PORTS=${SIPGATE_RTP_PORTS:-20000-23999}
SIPGATE_MAX_CALLS=${SIPGATE_MAX_CALLS:-1500}
LKSIP_PORT=${LKSIP_PORT:-15070}
LKSIP_RTP_PORTS=${LKSIP_RTP_PORTS:-24000-25999}
SMTP_PORT=${SMTP_PORT:-11025}
MAILPIT_PORT=${MAILPIT_PORT:-18025}
# make scaleout-test (deploy/local/scaleout.sh): Kamailio in front of two
# sipgates of its own, beside (not instead of) the ones above.
KAMAILIO_SIP_PORT=${KAMAILIO_SIP_PORT:-15080}
SCALEOUT_A_SIP_PORT=${SCALEOUT_A_SIP_PORT:-15081}
SCALEOUT_A_HTTP_PORT=${SCALEOUT_A_HTTP_PORT:-18091}
SCALEOUT_A_RTP_PORTS=${SCALEOUT_A_RTP_PORTS:-28000-28999}
SCALEOUT_B_SIP_PORT=${SCALEOUT_B_SIP_PORT:-15082}
SCALEOUT_B_HTTP_PORT=${SCALEOUT_B_HTTP_PORT:-18092}
SCALEOUT_B_RTP_PORTS=${SCALEOUT_B_RTP_PORTS:-29000-29999}
# The callers' (sipp's) media ports: phase N uses this + 4(N-1) and 2 more.
SCALEOUT_CALLER_MEDIA_PORT=${SCALEOUT_CALLER_MEDIA_PORT:-30100}

LIVEKIT_VERSION=v1.13.5
VERSITYGW_VERSION=v1.8.0
MAILPIT_VERSION=v1.33.1

log() { printf '[deploy/local] %s\n' "$*" >&2; }

# wait_for NAME SECONDS CMD...: poll CMD every 100 ms until it succeeds.
wait_for() {
	local name=$1 secs=$2
	shift 2
	local i
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "$name did not answer within ${secs}s; see $RUN/$name.log"
	tail -n 20 "$RUN/$name.log" >&2 2>/dev/null || true
	return 1
}

# alive NAME: the process recorded in NAME.pid is running.
alive() {
	local pid
	[[ -f $RUN/$1.pid ]] || return 1
	pid=$(<"$RUN/$1.pid")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# stop NAME: SIGTERM the process in NAME.pid, SIGKILL it after 10 s, and wait
# until it is gone, so that its port is free when this returns.
stop() {
	alive "$1" || { rm -f "$RUN/$1.pid"; return 0; }
	local pid i
	pid=$(<"$RUN/$1.pid")
	log "stopping $1 (pid $pid)"
	kill "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$RUN/$1.pid"
}

# pidof_service NAME: the pid of a service of the stack (Postgres's from its
# postmaster.pid, the others' from NAME.pid), or nothing when it is not running.
pidof_service() {
	local f=$RUN/$1.pid
	[[ $1 == postgres ]] && f=$RUN/postgres/data/postmaster.pid
	[[ -f $f ]] || return 0
	local pid
	pid=$(head -n 1 "$f")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
	return 0
}
