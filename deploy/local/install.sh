#!/usr/bin/env bash
# Installs what the local stack needs, once per machine: Debian packages through
# apt and Go-built servers into the git-ignored .tools/bin. Idempotent: a warm
# machine returns in well under a second.
source "$(dirname "$0")/lib.sh"

apt_updated=
apt_install() { # apt_install [-t SUITE] PKG...
	if [[ -z $apt_updated ]]; then
		log "apt-get update"
		apt-get update -qq
		apt_updated=1
	fi
	log "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_debian() {
	local want=()
	[[ -n $(pg_bindir) && -x $(pg_bindir)/initdb ]] || want+=(postgresql)
	command -v sipp >/dev/null || want+=(sip-tester)
	command -v baresip >/dev/null || want+=(baresip)
	command -v espeak-ng >/dev/null || want+=(espeak-ng)
	command -v sox >/dev/null || want+=(sox)
	# Tests run /usr/sbin/nginx (not always on PATH) with deploy/nginx.
	[[ -x /usr/sbin/nginx ]] || want+=(nginx)
	# The web console's end-to-end test drives Debian's Chromium (core/web/e2e); npm builds the console.
	[[ -x /usr/bin/chromium ]] || want+=(chromium)
	command -v npm >/dev/null || want+=(nodejs npm)
	# make scaleout-test puts Kamailio's dispatcher in front of two sipgates
	# (deploy/kamailio); Debian's package carries the dispatcher module.
	[[ -x /usr/sbin/kamailio ]] || want+=(kamailio)
	if ((${#want[@]})); then apt_install "${want[@]}"; fi

	if ! command -v valkey-server >/dev/null && ! command -v redis-server >/dev/null; then
		# Valkey 8 lives in bookworm-backports; Debian's redis-server is the fallback
		# when that source cannot be used.
		local src=/etc/apt/sources.list.d/bookworm-backports.sources
		if [[ ! -f $src ]]; then
			cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
			apt_updated=
		fi
		if ! apt_install -t bookworm-backports valkey-server; then
			log "valkey-server from bookworm-backports failed; falling back to redis-server"
			apt_install redis-server
		fi
	fi
}

# go_tool NAME PKG VERSION: go install PKG@VERSION into .tools/bin/NAME unless the
# stamp says that version is already there.
go_tool() {
	local name=$1 pkg=$2 version=$3 stamp=$TOOLS/bin/.$1.version
	if [[ -x $TOOLS/bin/$name && -f $stamp && $(<"$stamp") == "$version" ]]; then return 0; fi
	log "go install $pkg@$version (minutes on a cold machine)"
	local tmp
	tmp=$(mktemp -d)
	GOBIN=$tmp GOFLAGS=-buildvcs=false go install "$pkg@$version"
	mv "$tmp/$(basename "$pkg")" "$TOOLS/bin/$name"
	rmdir "$tmp"
	echo "$version" >"$stamp"
}

install_debian &
debian=$!
go_tool livekit-server github.com/livekit/livekit-server/cmd/server "$LIVEKIT_VERSION" &
livekit=$!
go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" &
versity=$!
go_tool mailpit github.com/axllent/mailpit "$MAILPIT_VERSION" &
mailpit=$!
status=0
wait $debian || status=$?
# The web console's npm packages (core/web/node_modules), once npm is there.
"$ROOT/core/web/deps.sh" || status=$?
wait $livekit || status=$?
wait $versity || status=$?
wait $mailpit || status=$?
exit $status
