#!/bin/sh
# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
#
# ev-entrypoint COMMAND
#   server  run trytond on DB_NAME (default)
#   init    create DB_NAME if missing, then activate or update the ev_*
#           modules, and set the password of the OCPP daemon's Tryton user
#           (idempotent; run once per deployment and after upgrades)
#   *       run the command as is (ev-ocpp, trytond-admin ...,
#           trytond-console ...)
#
# Environment: TRYTOND_DATABASE__URI (required), DB_NAME (ev), EV_MODULES
# (default: every ev_* module in the image), ADMIN_EMAIL, TRYTONPASSFILE
# (default /run/secrets/admin_password; read on the first init only),
# OCPP_PASSWORD_FILE (default /run/secrets/ocpp_password; read by every
# init: the Tryton user `ocpp` gets this password and, once one exists, the
# first company; without the file the user is left as it is).
#
# `server` uses trytond's built-in server, like `make demo`. For production
# scale, serve the WSGI application trytond.application:app with a WSGI
# server (e.g. gunicorn, not installed here) and
# TRYTOND_CONFIG=/etc/trytond.conf TRYTOND_DATABASE_NAMES=$DB_NAME.
set -eu

: "${DB_NAME:=ev}"
: "${EV_MODULES:=$(cat /opt/ev/ev-modules)}"
: "${ADMIN_EMAIL:=admin@example.com}"
: "${TRYTONPASSFILE:=/run/secrets/admin_password}"
: "${OCPP_PASSWORD_FILE:=/run/secrets/ocpp_password}"
CONF=${TRYTOND_CONFIG:-/etc/trytond.conf}

need_uri() {
    if [ -z "${TRYTOND_DATABASE__URI:-}" ]; then
        echo "ev-entrypoint: set TRYTOND_DATABASE__URI" >&2
        exit 2
    fi
}

# The OCPP daemon logs in as `ocpp`, which ev_station creates without a
# password. A company is needed for the chargers that register themselves as
# pending stations; a fresh database has none until the admin creates it, so
# the next init (or the next deployment) assigns it.
set_ocpp_password() {
    if [ ! -s "$OCPP_PASSWORD_FILE" ]; then
        echo "ev-entrypoint: $OCPP_PASSWORD_FILE is missing or empty," \
            "the Tryton user ocpp is left as it is" >&2
        return 0
    fi
    python3 - "$CONF" "$DB_NAME" "$OCPP_PASSWORD_FILE" <<'PY'
import sys

from trytond import config

conf, database, path = sys.argv[1:]
config.update_etc(conf)
with open(path) as fp:
    password = fp.read().strip()

from trytond.pool import Pool  # noqa: E402
from trytond.transaction import Transaction  # noqa: E402

Pool(database).init()
with Transaction().start(database, 0, context={'active_test': False}):
    pool = Pool()
    User = pool.get('res.user')
    Company = pool.get('company.company')
    users = User.search([('login', '=', 'ocpp')], limit=1)
    if not users:
        sys.exit('ev-entrypoint: no Tryton user ocpp (ev_station missing?)')
    user, = users
    values = {}
    # Only a new password is written: the hash stays as it is otherwise.
    # (read() hides password_hash; _get_login is how trytond reads it.)
    _, password_hash, _ = User._get_login('ocpp')
    if not (password_hash
            and User.check_password(password, password_hash)[0]):
        values['password'] = password
    companies = Company.search([], order=[('id', 'ASC')], limit=1)
    if companies and not user.company:
        company, = companies
        values['companies'] = [('add', [company.id])]
        values['company'] = company.id
    if values:
        User.write([user], values)
    print('ev-entrypoint: Tryton user ocpp %s' % (
            'updated: ' + ', '.join(sorted(values)) if values
            else 'up to date'))
PY
}

case "${1:-server}" in
server)
    need_uri
    exec trytond -c "$CONF" -d "$DB_NAME"
    ;;
init)
    need_uri
    # trytond-admin does not create PostgreSQL databases itself. A database
    # without Tryton's tables (e.g. a failed first init) is initialised again.
    state=$(python3 - "$DB_NAME" <<'PY'
import os
import sys

import psycopg
from psycopg import sql

name = sys.argv[1]
base = os.environ['TRYTOND_DATABASE__URI'].rstrip('/')
with psycopg.connect(base + '/postgres', autocommit=True) as conn:
    if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s",
            (name,)).fetchone():
        conn.execute(sql.SQL(
                "CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0"
                ).format(sql.Identifier(name)))
with psycopg.connect(base + '/' + name) as conn:
    found, = conn.execute("SELECT to_regclass('ir_module')").fetchone()
print('update' if found else 'init')
PY
)
    if [ "$state" = init ]; then
        if [ ! -s "$TRYTONPASSFILE" ]; then
            echo "ev-entrypoint: admin password file $TRYTONPASSFILE" \
                "is missing or empty" >&2
            exit 2
        fi
        echo "ev-entrypoint: initialising database $DB_NAME"
        # shellcheck disable=SC2086 # EV_MODULES is a word list
        TRYTONPASSFILE="$TRYTONPASSFILE" trytond-admin -c "$CONF" \
            -d "$DB_NAME" --all -u $EV_MODULES --activate-dependencies \
            --email "$ADMIN_EMAIL" -l ru </dev/null
    else
        echo "ev-entrypoint: updating database $DB_NAME"
        # shellcheck disable=SC2086
        trytond-admin -c "$CONF" -d "$DB_NAME" --all -u $EV_MODULES \
            --activate-dependencies </dev/null
    fi
    set_ocpp_password
    ;;
*)
    exec "$@"
    ;;
esac
