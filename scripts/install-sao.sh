#!/usr/bin/env bash
# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
#
# Install the Tryton web client (sao) into var/sao/package, reproducibly:
# the npm tarball is checked against a pinned integrity hash and its
# dependencies come from the committed sao/package-lock.json (npm ci).
# trytond.conf serves it with [web] root = var/sao/package.
#
# The sao folder itself must be the web root: index.html loads
# node_modules/<dep>/... relative to itself, so installing tryton-sao as a
# dependency (node_modules/tryton-sao) does not work (STACK.md section 4).
#
# Idempotent: does nothing when the marker matches the version and lock file.
set -euo pipefail

SAO_VERSION=8.0.11
# npm view tryton-sao@8.0.11 dist.integrity
SAO_INTEGRITY='sha512-RoDeizE/srwG+iAqTA3DBteB5yJAq3LnNqr6BT9DTwgbH5UeNKe9mZotGfGKNh3pi4kZInfCl4tHAz8idjG75w=='

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCK="$ROOT/sao/package-lock.json"
DEST="$ROOT/var/sao/package"
MARKER="$DEST/.ev-sao-installed"

command -v npm >/dev/null || {
    echo "install-sao: npm not found (install nodejs 20 and npm)" >&2
    exit 1
}
[ -f "$LOCK" ] || { echo "install-sao: missing $LOCK" >&2; exit 1; }

want="tryton-sao@$SAO_VERSION lock-sha1=$(sha1sum "$LOCK" | cut -d' ' -f1)"
if [ -f "$DEST/dist/tryton-sao.js" ] \
        && [ -d "$DEST/node_modules/jquery" ] \
        && [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$want" ]; then
    echo "install-sao: $want already in var/sao/package"
    exit 0
fi

mkdir -p "$ROOT/var/sao"
# Build next to the destination so the final rename is atomic and a failed
# run never leaves a half-installed web root behind.
WORK=$(mktemp -d "$ROOT/var/sao/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "install-sao: fetching tryton-sao@$SAO_VERSION"
(cd "$WORK" && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null)
TGZ="$WORK/tryton-sao-$SAO_VERSION.tgz"
got=$(node -e 'const crypto = require("crypto"), fs = require("fs");
console.log("sha512-" + crypto.createHash("sha512")
    .update(fs.readFileSync(process.argv[1])).digest("base64"));' "$TGZ")
if [ "$got" != "$SAO_INTEGRITY" ]; then
    echo "install-sao: integrity mismatch for $TGZ: $got" >&2
    exit 1
fi
tar -xzf "$TGZ" -C "$WORK"      # creates $WORK/package

cp "$LOCK" "$WORK/package/package-lock.json"
echo "install-sao: npm ci (production dependencies from sao/package-lock.json)"
# --ignore-scripts: no install hooks are needed, dist/ ships prebuilt.
# --legacy-peer-deps: the lock file was generated with it.
(cd "$WORK/package" && npm ci --omit=dev --legacy-peer-deps \
    --ignore-scripts --no-audit --no-fund --loglevel=error)

# Without these, sao's GETs for custom.js/custom.css fall through to the RPC
# application and answer 405 (harmless but noisy).
: > "$WORK/package/custom.js"
: > "$WORK/package/custom.css"
echo "$want" > "$WORK/package/.ev-sao-installed"

rm -rf "$DEST"
mv "$WORK/package" "$DEST"
echo "install-sao: installed $want into var/sao/package"
