# The backing services' settings and start functions, shared by up.sh (which
# starts them all) and restart.sh (one at a time). Sourced after lib.sh, never run.
S3_ACCESS_KEY=${S3_ACCESS_KEY:-meetline-dev}
S3_SECRET_KEY=${S3_SECRET_KEY:-meetline-dev-secret}
S3_BUCKET=${S3_BUCKET:-meetline}
LIVEKIT_API_KEY=devkey # livekit-server --dev
LIVEKIT_API_SECRET=secret
# secret NAME: a random secret kept in .run/NAME, the same across restarts.
secret() {
	[[ -f $RUN/$1 ]] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN/$1"
	cat "$RUN/$1"
}
SIPGATE_TOKEN=$(secret sipgate-token)
OPERATOR_TOKEN=$(secret operator-token)
LOBBY_TICKET_SECRET=$(secret lobby-ticket-secret)
CALL_RECORDS_KEY=$(secret call-records-key)
# The storage webhook secret travels in the URL: versitygw sends no Authorization header.
STORAGE_WEBHOOK_TOKEN=$(secret storage-webhook-token)
# The digest password LiveKit's SIP trunk demands of sipgate: the core provisions
# the trunk with it, sipgate answers the challenge with it.
LIVEKIT_SIP_PASSWORD=$(secret livekit-sip-password)

# detach NAME CMD...: run CMD in its own session, logging to NAME.log, pid in NAME.pid.
detach() {
	local name=$1
	shift
	setsid "$@" >>"$RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
}

start_postgres() {
	local bin dir=$RUN/postgres
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	local as=()
	# initdb refuses root: the cluster belongs to the postgres user.
	if ((EUID == 0)); then as=(runuser -u postgres --); fi
	if [[ ! -f $dir/data/PG_VERSION ]]; then
		mkdir -p "$dir"
		((EUID == 0)) && chown postgres: "$dir"
		"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$RUN/postgres-initdb.log"
	fi
	if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		log "starting postgres on 127.0.0.1:$PG_PORT"
		"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -s \
			-o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start
	fi
	wait_for postgres 30 "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
	if ! "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='meetline'" | grep -q 1; then
		"$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database meetline"
	fi
}

valkey_bin() { command -v valkey-server || command -v redis-server; }
valkey_cli() { "$(command -v valkey-cli || command -v redis-cli)" -h 127.0.0.1 -p "$VALKEY_PORT" "$@"; }

start_valkey() {
	if ! alive valkey; then
		log "starting $(basename "$(valkey_bin)") on 127.0.0.1:$VALKEY_PORT"
		mkdir -p "$RUN/valkey"
		detach valkey "$(valkey_bin)" --port "$VALKEY_PORT" --bind 127.0.0.1 --dir "$RUN/valkey" \
			--save "" --appendonly no --protected-mode yes
	fi
	wait_for valkey 10 valkey_cli ping
}

# start_s3 [WEBHOOK_URL]: versitygw refuses to start when its event webhook does
# not answer, so the shared test instance runs without one and
# --storage-webhook restarts it with the core's webhook once the core is up.
start_s3() {
	local hook=${1:-}
	if alive s3 && [[ -n $hook && $(cat "$RUN/s3.webhook" 2>/dev/null) != "$hook" ]]; then
		stop s3
	fi
	if ! alive s3; then
		log "starting versitygw on 127.0.0.1:$S3_PORT${hook:+ (events to the core)}"
		mkdir -p "$RUN/s3/data/$S3_BUCKET"
		detach s3 "$TOOLS/bin/versitygw" --port "127.0.0.1:$S3_PORT" \
			--access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" \
			${hook:+--event-webhook-url "$hook"} posix "$RUN/s3/data"
		printf '%s' "$hook" >"$RUN/s3.webhook"
	fi
	wait_for s3 10 curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
		"http://127.0.0.1:$S3_PORT/$S3_BUCKET"
}

start_livekit() {
	if ! alive livekit; then
		log "starting livekit-server on 127.0.0.1:$LIVEKIT_PORT"
		cat >"$RUN/livekit.yaml" <<YAML
port: $LIVEKIT_PORT
rtc:
  tcp_port: 0
  port_range_start: $LIVEKIT_RTC_UDP_START
  port_range_end: $LIVEKIT_RTC_UDP_END
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  interfaces:
    includes: [lo]
redis:
  address: 127.0.0.1:$VALKEY_PORT
room:
  # A host unmutes phone callers and a caller's *6 unmutes itself through
  # the server API (the core's ParticipantService, PhoneCommand).
  enable_remote_unmute: true
webhook:
  api_key: $LIVEKIT_API_KEY
  urls:
    - http://127.0.0.1:$CORE_PORT/webhooks/livekit
YAML
		detach livekit "$TOOLS/bin/livekit-server" --dev --bind 127.0.0.1 --config "$RUN/livekit.yaml"
	fi
	wait_for livekit 20 curl -sf "http://127.0.0.1:$LIVEKIT_PORT/"
}

# start_mail runs mailpit: an SMTP sink that keeps what it receives, with a
# web page (and an API tests read) to look at it.
start_mail() {
	if ! alive mailpit; then
		log "starting mailpit: SMTP on 127.0.0.1:$SMTP_PORT, web on http://127.0.0.1:$MAILPIT_PORT"
		mkdir -p "$RUN/mailpit"
		detach mailpit "$TOOLS/bin/mailpit" --smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$MAILPIT_PORT" \
			--database "$RUN/mailpit/mail.db" --smtp-auth-accept-any --smtp-auth-allow-insecure
	fi
	wait_for mailpit 20 curl -sf "http://127.0.0.1:$MAILPIT_PORT/api/v1/info"
}

write_env() {
	cat >"$RUN/env.tmp" <<ENV
export DATABASE_URL='postgres://postgres@127.0.0.1:$PG_PORT/meetline?sslmode=disable'
export VALKEY_ADDR='127.0.0.1:$VALKEY_PORT'
export S3_ENDPOINT='http://127.0.0.1:$S3_PORT'
export S3_ACCESS_KEY='$S3_ACCESS_KEY'
export S3_SECRET_KEY='$S3_SECRET_KEY'
export S3_BUCKET='$S3_BUCKET'
export STORAGE_WEBHOOK_TOKEN='$STORAGE_WEBHOOK_TOKEN'
export LIVEKIT_URL='http://127.0.0.1:$LIVEKIT_PORT'
export LIVEKIT_API_KEY='$LIVEKIT_API_KEY'
export LIVEKIT_API_SECRET='$LIVEKIT_API_SECRET'
# The core provisions LiveKit's SIP routing for calls from sipgate, which dials from loopback.
export LIVEKIT_SIP_ALLOWED_ADDRESSES='127.0.0.1/32'
export LIVEKIT_SIP_AUTH_USERNAME='sipgate'
export LIVEKIT_SIP_AUTH_PASSWORD='$LIVEKIT_SIP_PASSWORD'
# LiveKit's SIP service cannot be built here: make run starts its stand-in (internal/standin).
export LKSIP_ADDR='127.0.0.1:$LKSIP_PORT'
export LKSIP_RTP_PORTS='$LKSIP_RTP_PORTS'
export SIPGATE_LIVEKIT_SIP_ADDR='127.0.0.1:$LKSIP_PORT'
export SIPGATE_LIVEKIT_SIP_USERNAME='sipgate'
export SIPGATE_LIVEKIT_SIP_PASSWORD='$LIVEKIT_SIP_PASSWORD'
export CORE_ADDR='127.0.0.1:$CORE_PORT'
export CORE_URL='http://127.0.0.1:$CORE_PORT'
# The admin listener: /metrics, detailed /readyz, reflection, /debug/pprof/.
export CORE_ADMIN_ADDR='127.0.0.1:$CORE_ADMIN_PORT'
export CORE_ADMIN_URL='http://127.0.0.1:$CORE_ADMIN_PORT'
# make chaos: a second core replica's address (deploy/local/restart.sh core-2).
export CORE2_ADDR='127.0.0.1:$CORE2_PORT'
export SIPGATE_ADDR='127.0.0.1:$SIPGATE_SIP_PORT'
export SIPGATE_SIP_ADDR='127.0.0.1:$SIPGATE_SIP_PORT'
export SIPGATE_HTTP_ADDR='127.0.0.1:$SIPGATE_HTTP_PORT'
export MEETLINE_TOOLS='$TOOLS'
export SMTP_HOST='127.0.0.1'
export SMTP_PORT='$SMTP_PORT'
export SMTP_TLS='none'
export MAIL_FROM='meet@meetline.localhost'
export MAILPIT_URL='http://127.0.0.1:$MAILPIT_PORT'
export SERVICE_TOKENS='sipgate:$SIPGATE_TOKEN,operator:$OPERATOR_TOKEN'
export SIPGATE_CORE_TOKEN='$SIPGATE_TOKEN'
export SIPGATE_CORE_URL='http://127.0.0.1:$CORE_PORT'
export SIPGATE_RTP_PORTS='$SIPGATE_RTP_PORTS'
export SIPGATE_MAX_CALLS='$SIPGATE_MAX_CALLS'
# Every call leaves a record, which the operators' console pages show (and make loadtest pays for, as production).
export SIPGATE_CALL_RECORDS_DIR='$RUN/call-records'
export SIPGATE_CALL_RECORDS_KEY='$CALL_RECORDS_KEY'
# Profiles under /debug/pprof/ on loopback, which make loadtest captures (the core's are on CORE_ADMIN_ADDR).
export SIPGATE_PPROF=true
export LOBBY_TICKET_SECRET='$LOBBY_TICKET_SECRET'
# make loadtest creates hundreds of rooms as one user: the local stack lifts the per-user room budget.
export ROOMS_PER_HOUR=100000
export OPERATOR_TOKEN='$OPERATOR_TOKEN'
# Development only: the core signs and trusts its own identity tokens (core token --sub alice).
export CORE_DEV_ISSUER=true
export CORE_DEV_ISSUER_KEY_FILE='$RUN/dev-issuer.pem'
ENV
	# The demo trunk and room, once apps.sh has created them.
	if [[ -f $RUN/demo.env ]]; then cat "$RUN/demo.env" >>"$RUN/env.tmp"; fi
	mv "$RUN/env.tmp" "$RUN/env"
}

