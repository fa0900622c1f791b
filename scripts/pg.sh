#!/usr/bin/env bash
# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
#
# Make sure a local PostgreSQL (Debian postgresql-common cluster) is running
# and has the test role, then print the trytond database URI on stdout:
#   export TRYTOND_DATABASE_URI=$(scripts/pg.sh)
# Messages go to stderr. Works as root (su postgres) or as a user with sudo.
#
# Environment: PG_PORT (5432), PG_USER (tryton), PG_PASSWORD (tryton).
# Debian's default pg_hba.conf allows password (scram) logins on 127.0.0.1.
# The role needs CREATEDB: the Tryton test framework creates and drops
# test_<epoch> databases.
set -euo pipefail

PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-tryton}
PG_PASSWORD=${PG_PASSWORD:-tryton}

log() { echo "pg: $*" >&2; }

as_postgres() {
    # Run "$@" as the postgres system user, from / (its home may differ and
    # the current directory may not be readable by postgres).
    if [ "$(id -un)" = postgres ]; then
        (cd / && "$@")
    elif [ "$(id -u)" -eq 0 ]; then
        (cd / && su postgres -s /bin/bash -c "$(printf '%q ' "$@")")
    else
        (cd / && sudo -n -u postgres "$@")
    fi
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

command -v pg_lsclusters >/dev/null || {
    log "PostgreSQL is not installed (apt-get install -y postgresql)"
    exit 1
}

# pg_lsclusters -h: version cluster port status owner datadir logfile
cluster=$(pg_lsclusters -h | awk -v port="$PG_PORT" '$3 == port {print; exit}')
if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    log "no cluster on port $PG_PORT, creating $version/main"
    as_root pg_createcluster --port "$PG_PORT" "$version" main >&2
    cluster=$(pg_lsclusters -h | awk -v port="$PG_PORT" '$3 == port {print; exit}')
fi
read -r version name _port status _rest <<<"$cluster"

case "$status" in
online*)
    log "cluster $version/$name is running on port $PG_PORT"
    ;;
*)
    log "starting cluster $version/$name (status: $status)"
    # pg_ctlcluster run by root switches to the cluster owner itself.
    if [ "$(id -u)" -eq 0 ]; then
        pg_ctlcluster "$version" "$name" start >&2
    else
        as_postgres pg_ctlcluster "$version" "$name" start >&2
    fi
    ;;
esac

for _ in $(seq 1 30); do
    if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
        break
    fi
    sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || {
    log "PostgreSQL does not answer on 127.0.0.1:$PG_PORT"
    exit 1
}

exists=$(as_postgres psql -p "$PG_PORT" -X -tAc \
    "SELECT rolcreatedb FROM pg_roles WHERE rolname = '$PG_USER'")
if [ -z "$exists" ]; then
    log "creating role $PG_USER (LOGIN CREATEDB)"
    as_postgres psql -p "$PG_PORT" -X -q -v ON_ERROR_STOP=1 -c \
        "CREATE ROLE \"$PG_USER\" LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >&2
elif [ "$exists" != t ]; then
    log "role $PG_USER exists without CREATEDB; tests need it:"
    log "  ALTER ROLE $PG_USER CREATEDB"
    exit 1
fi

# Check that the URI really works (password and pg_hba) before tests start.
if ! PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PG_PORT" \
        -U "$PG_USER" -d postgres -tAc 'SELECT 1' >/dev/null; then
    log "cannot log in as $PG_USER on 127.0.0.1:$PG_PORT (password/pg_hba?)"
    exit 1
fi

echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/"
