#!/usr/bin/env bash
# Stops exactly what up.sh (and apps.sh) started, by their pid files. Data stays
# under .run/ for the next up; `rm -rf .run` forgets it.
source "$(dirname "$0")/lib.sh"

stop() { # stop NAME: SIGTERM, then SIGKILL after 10 s.
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

for name in sipgate core livekit s3 valkey; do stop "$name"; done

pgdata=$RUN/postgres/data
if [[ -f $pgdata/postmaster.pid ]]; then
	log "stopping postgres"
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	as=()
	((EUID == 0)) && as=(runuser -u postgres --)
	"${as[@]}" "$bin/pg_ctl" -D "$pgdata" -m fast -w -s stop
fi
