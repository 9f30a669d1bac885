#!/usr/bin/env bash
# Installs the web console's npm packages (package-lock.json) into the
# git-ignored core/web/node_modules, unless they are there already: a stamp
# keeps the lockfile's hash. deploy/local/install.sh and `make web-deps` run it.
# Install scripts stay off: esbuild finds its platform binary without them.
set -euo pipefail
cd "$(dirname "$0")"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.package-lock.sha256
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then exit 0; fi
if ! command -v npm >/dev/null; then
	echo "core/web: npm is missing: run deploy/local/install.sh (make test or make run do)" >&2
	exit 1
fi
echo "[core/web] npm ci" >&2
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2
echo "$want" >"$stamp"
