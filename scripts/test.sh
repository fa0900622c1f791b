#!/usr/bin/env bash
# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
#
# Run the whole test suite with pytest: addons/*/tests, ocpp_daemon/tests
# (when it exists) and the cross-process tests in tests/.
#
#   DB=sqlite      (default) SQLite in memory
#   DB=postgresql  local PostgreSQL, started and prepared by scripts/pg.sh
#   PYTEST_ARGS    extra pytest arguments, e.g. PYTEST_ARGS='-x -k id_tag'
#
# Activated-module databases are cached in var/test-cache/<db>-<hash>; the
# hash covers the addons sources and constraints.txt, so any schema change
# gets a fresh cache (stale cache directories are removed).
# Exit status: pytest's, except "no tests collected" (5) is a failure too.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DB=${DB:-sqlite}
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || { echo "test: $PYTHON missing, run 'make venv'" >&2; exit 1; }

case "$DB" in
sqlite)
    export TRYTOND_DATABASE_URI=sqlite://
    export DB_NAME=:memory:
    ;;
postgresql)
    TRYTOND_DATABASE_URI=$(scripts/pg.sh)
    export TRYTOND_DATABASE_URI
    # Unset: the test framework creates and drops test_<epoch> databases.
    unset DB_NAME
    ;;
*)
    echo "test: DB must be sqlite or postgresql, not '$DB'" >&2
    exit 2
    ;;
esac
# Never pick up a developer's or the demo's configuration file.
unset TRYTOND_CONFIG TRYTOND_DATABASE__URI

hash=$( {
        find addons -type f \( -name '*.py' -o -name '*.xml' \
            -o -name '*.cfg' -o -name '*.po' -o -name '*.toml' \) \
            -not -path '*/__pycache__/*' -print0 \
            | sort -z | xargs -0 -r sha1sum
        sha1sum constraints.txt
    } | sha1sum | cut -c1-12)
DB_CACHE="$ROOT/var/test-cache/$DB-$hash"
export DB_CACHE
mkdir -p "$DB_CACHE"
for old in var/test-cache/"$DB"-*; do
    [ "$old" = "var/test-cache/$DB-$hash" ] || rm -rf "$old"
done

paths=()
for dir in addons/*/tests ocpp_daemon/tests tests; do
    [ -d "$dir" ] && paths+=("$dir")
done

echo "test: DB=$DB cache=var/test-cache/$DB-$hash paths: ${paths[*]}"
start=$SECONDS
# PYTEST_ARGS is parsed with shell quoting: PYTEST_ARGS='-k "not slow"'
eval "extra=(${PYTEST_ARGS:-})"
rc=0
"$PYTHON" -m pytest -c "$ROOT/pytest.ini" --rootdir "$ROOT" -ra "${extra[@]}" "${paths[@]}" </dev/null || rc=$?
echo "test: DB=$DB finished in $((SECONDS - start)) s (pytest exit $rc)"
if [ "$rc" -eq 5 ]; then
    echo "test: no tests were collected, counting it as a failure" >&2
    rc=1
fi
exit "$rc"
