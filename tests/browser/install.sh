#!/usr/bin/env bash
# Installs what the browser tests load into chromium (package.json here:
# axe-core, an exact version, its checksum in package-lock.json) with
# `npm ci`. Run by `make build`/`make build-san`/`make test` (the deps
# target), so CI's fresh Debian 12 has it. Node.js and npm come from Debian
# when the machine has no npm at all. Quick when node_modules already
# matches the lock file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v npm >/dev/null 2>&1; then
    echo "tests/browser: installing nodejs and npm (Debian)"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# npm ci writes node_modules/.package-lock.json; same as the lock: done.
if [ -f "$here/node_modules/.package-lock.json" ] && [ -f "$here/node_modules/axe-core/axe.min.js" ] \
   && [ "$here/node_modules/.package-lock.json" -nt "$here/package-lock.json" ]; then
    exit 0
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
