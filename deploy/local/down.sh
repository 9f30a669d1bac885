#!/usr/bin/env bash
# Stops exactly what up.sh (and apps.sh) started, by their pid files. Data stays
# under .run/ for the next up; `rm -rf .run` forgets it.
source "$(dirname "$0")/lib.sh"

for name in sipgate lksip-standin core core-2 livekit s3 mailpit valkey; do stop "$name"; done

pgdata=$RUN/postgres/data
if [[ -f $pgdata/postmaster.pid ]]; then
	log "stopping postgres"
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	as=()
	((EUID == 0)) && as=(runuser -u postgres --)
	"${as[@]}" "$bin/pg_ctl" -D "$pgdata" -m fast -w -s stop
fi
