#!/usr/bin/env bash
# restart.sh NAME [VAR=value...]: (re)start one service of the stack with the
# same settings, data and logs as up.sh and apps.sh, and wait until it answers.
# A running service is stopped first (SIGTERM, then SIGKILL after 10 s); a dead
# one (crash.sh) is just started, so running it twice does no harm. NAME is one
# of postgres valkey s3 livekit mailpit (backing services) or core core-2
# sipgate lksip-standin (apps, from bin/); core-2 is a second core replica on
# CORE2_PORT. VAR=value pairs are added to an app's environment (e.g.
# SIPGATE_CORE_URL, to put a balancer between sipgate and two cores).
source "$(dirname "$0")/lib.sh"
source "$RUN/env"
source "$ROOT/deploy/local/services.sh"

name=${1:?usage: restart.sh NAME [VAR=value...]}
shift

# app NAME BIN HEALTH_URL: start bin/BIN in its own session as NAME.
app() {
	local name=$1 bin=$2 url=$3
	stop "$name"
	setsid env "${extra[@]}" "$ROOT/bin/$bin" >>"$RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
	[[ -z $url ]] || wait_for "$name" 60 curl -sf "$url"
}

extra=("$@")
case $name in
postgres)
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	as=()
	((EUID == 0)) && as=(runuser -u postgres --)
	if [[ -n $(pidof_service postgres) ]]; then
		"${as[@]}" "$bin/pg_ctl" -D "$RUN/postgres/data" -m fast -w -s stop
	fi
	# After a SIGKILL of the postmaster its backends take a moment to notice
	# and exit; until they have, Postgres refuses to start on their shared memory.
	for ((i = 0; i < 20; i++)); do
		start_postgres 2>>"$RUN/restart.log" && exit 0
		sleep 1
	done
	start_postgres
	;;
valkey) stop valkey && start_valkey ;;
s3) stop s3 && start_s3 "$(cat "$RUN/s3.webhook" 2>/dev/null)" ;;
livekit) stop livekit && start_livekit ;;
mailpit) stop mailpit && start_mail ;;
core) app core core "$CORE_URL/healthz" ;;
core-2)
	extra=("CORE_ADDR=127.0.0.1:$CORE2_PORT" "CORE_ADMIN_ADDR=127.0.0.1:$CORE2_ADMIN_PORT" "${extra[@]}")
	app core-2 core "http://127.0.0.1:$CORE2_PORT/healthz"
	;;
sipgate) app sipgate sipgate "http://$SIPGATE_HTTP_ADDR/healthz" ;;
lksip-standin) app lksip-standin lksip-standin "" ;;
*)
	echo "restart.sh: unknown service $name" >&2
	exit 2
	;;
esac
