#!/usr/bin/env bash
# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
#
# Run the demo platform on SQLite (var/db/demo.sqlite), serving sao on
# http://127.0.0.1:8000/. Called by `make demo` after `make venv sao`.
#
# First run: create the database, activate every addons/ev_* module with
# Russian loaded, and load demo/load_demo.py when it exists. Later runs
# reuse the database: update the schema (a few seconds) and start the server.
# `make demo-reset` starts from scratch.
#
# Environment: EV_MODULES (default: every addons/ev_* folder with a
# tryton.cfg), DEMO_DB (default demo), PYTHON (default .venv/bin/python).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DB=${DEMO_DB:-demo}
VENV_BIN=.venv/bin
PYTHON=${PYTHON:-$VENV_BIN/python}
DB_FILE=var/db/$DB.sqlite
PASS_FILE=var/demo-admin-password
LOGINS_FILE=var/demo-logins.txt
ADMIN_EMAIL=${DEMO_ADMIN_EMAIL:-admin@example.com}
URL=http://127.0.0.1:8000/

if [ -z "${EV_MODULES:-}" ]; then
    EV_MODULES=$(for cfg in addons/ev_*/tryton.cfg; do
            [ -f "$cfg" ] && basename "$(dirname "$cfg")"
        done | xargs)
fi
[ -n "$EV_MODULES" ] || { echo "demo: no addons/ev_* module found" >&2; exit 1; }

# trytond makes a relative [database] path absolute from / (var/db would be
# /var/db), so the SQLite folder comes from the environment; trytond.conf
# leaves it unset so that this applies (see there).
export TRYTOND_DATABASE__PATH="$ROOT/var/db"

# trytond reads config files in order, later ones win (see trytond.conf).
CONF=(trytond.conf)
[ -f var/trytond.local.conf ] && CONF+=(var/trytond.local.conf)

for tool in trytond trytond-admin; do
    [ -x "$VENV_BIN/$tool" ] || {
        echo "demo: $VENV_BIN/$tool missing, run 'make venv'" >&2; exit 1; }
done
[ -f var/sao/package/dist/tryton-sao.js ] || {
    echo "demo: sao is not installed, run 'make sao'" >&2; exit 1; }

# The demo's mail server (trytond.conf [email] uri): every e-mail the
# platform sends (alerts, confirmations, receipts, support replies,
# statements) lands in the Maildir var/mail/ and none leaves the machine.
# Started first: loading the demo already sends some.
MAIL_PORT=${DEMO_MAIL_PORT:-8025}
"$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT" \
    -c aiosmtpd.handlers.Mailbox "$ROOT/var/mail" >var/mail.log 2>&1 &
MAIL_PID=$!
trap 'kill "$MAIL_PID" 2>/dev/null' EXIT

if [ ! -e "$DB_FILE" ]; then
    echo "demo: creating database '$DB' with modules: $EV_MODULES"
    mkdir -p var/db
    # Remove the half-built database if anything below fails, so the next
    # run starts again instead of reusing it.
    # (EXIT also covers Ctrl+C during the initialisation.)
    trap 'echo "demo: initialisation failed or interrupted, removing $DB_FILE" >&2
          rm -f "$DB_FILE" "$DB_FILE"-wal "$DB_FILE"-shm "$DB_FILE"-journal
          kill "$MAIL_PID" 2>/dev/null' EXIT
    umask_old=$(umask)
    umask 077
    "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(12))' \
        > "$PASS_FILE"
    umask "$umask_old"
    touch "$DB_FILE"    # the SQLite backend does not create the file
    start=$SECONDS
    # --email and TRYTONPASSFILE keep trytond-admin non-interactive.
    # shellcheck disable=SC2086 # EV_MODULES is a word list
    TRYTONPASSFILE="$ROOT/$PASS_FILE" "$VENV_BIN/trytond-admin" \
        -c "${CONF[@]}" -d "$DB" --all -u $EV_MODULES \
        --activate-dependencies --email "$ADMIN_EMAIL" -l ru </dev/null
    echo "demo: database created in $((SECONDS - start)) s"
    if [ -f demo/load_demo.py ]; then
        echo "demo: loading demo data (demo/load_demo.py)"
        "$PYTHON" demo/load_demo.py -c trytond.conf -d "$DB" </dev/null
    else
        echo "demo: demo/load_demo.py not found, no demo data loaded"
    fi
    trap 'kill "$MAIL_PID" 2>/dev/null' EXIT
else
    # Keep the schema in sync with the code; -u also activates modules
    # added since the database was created (their demo data needs
    # `make demo-reset`).
    echo "demo: updating database '$DB' (modules: $EV_MODULES)"
    # shellcheck disable=SC2086
    "$VENV_BIN/trytond-admin" -c "${CONF[@]}" -d "$DB" --all \
        -u $EV_MODULES --activate-dependencies </dev/null
fi

echo
echo "================================================================"
echo " EV charging platform demo: $URL"
echo " database: $DB"
if [ -f "$PASS_FILE" ]; then
    echo " admin login: admin / $(cat "$PASS_FILE")"
fi
if [ -f "$LOGINS_FILE" ]; then
    echo " demo logins ($LOGINS_FILE):"
    sed 's/^/   /' "$LOGINS_FILE"
fi
echo " stop with Ctrl+C; start again with 'make demo',"
echo " from scratch with 'make demo-reset'"
echo "================================================================"
echo

OCPP_PORT=${DEMO_OCPP_PORT:-9000}
pids=("$MAIL_PID")
cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# -d preloads the database (also avoids the trytond 8.0.12 login bug).
"$VENV_BIN/trytond" -c "${CONF[@]}" -d "$DB" --logconf demo/logging.conf &
TRYTOND_PID=$!
pids+=("$TRYTOND_PID")
for _ in $(seq 100); do
    "$PYTHON" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1)' "$URL" 2>/dev/null && break
    sleep 0.2
done

# The scheduled tasks: the card acquirer's events and captures, month-end
# invoices and partner settlements, expiring invitations.
"$VENV_BIN/trytond-cron" -c "${CONF[@]}" -d "$DB" --logconf demo/logging.conf \
    >var/cron.log 2>&1 &
pids+=($!)

# The sandbox card acquirer (trytond.conf [ev_billing] sandbox_url): the
# demo's card account pays through it, webhooks come back to trytond.
"$PYTHON" -m trytond.modules.ev_billing.sandbox --listen 127.0.0.1:8010 \
    --db var/sandbox.sqlite >var/sandbox.log 2>&1 &
pids+=($!)
echo "demo: sandbox card acquirer on http://127.0.0.1:8010/ (log var/sandbox.log)"
echo "demo: the e-mails sent land in var/mail/new/ (SMTP on 127.0.0.1:$MAIL_PORT)"
# Its events come back by webhook, as a real acquirer's would
# (ev_billing's Register Webhook button); the cron's pull is the fallback.
"$PYTHON" demo/webhook.py "$URL" "$DB" "$PASS_FILE" \
    || echo "demo: webhook not registered, trytond-cron pulls the events"

# The OCPP daemon: chargers connect to ws://127.0.0.1:$OCPP_PORT/<identity>.
if [ -f var/demo-ocpp-password ] && [ -x "$VENV_BIN/ev-ocpp" ]; then
    EV_OCPP_PORT=$OCPP_PORT EV_OCPP_DAEMON=demo EV_OCPP_DATABASE=$DB \
    EV_OCPP_TRYTON_URL=${URL%/} \
    EV_OCPP_PASSWORD_FILE=$ROOT/var/demo-ocpp-password \
    EV_OCPP_OUTBOX_PATH=$ROOT/var/ocpp-outbox.sqlite \
        "$VENV_BIN/ev-ocpp" >var/ocpp-daemon.log 2>&1 &
    pids+=($!)
    echo "demo: OCPP daemon on ws://127.0.0.1:$OCPP_PORT/ (log var/ocpp-daemon.log)"
    # A few demo stations stay alive, so the back office shows live data.
    if [ -f var/demo-chargers.json ] && "$PYTHON" -c 'import ev_ocpp.simulator' 2>/dev/null; then
        "$PYTHON" -c 'import json, sys
chargers = json.load(open("var/demo-chargers.json"))
live = {k: v for k, v in sorted(chargers.items()) if k != "NE-SPB-004"}
json.dump(dict(list(live.items())[:6]), sys.stdout)' > var/demo-live-chargers.json
        sleep 1
        "$PYTHON" -m ev_ocpp.simulator --url "ws://127.0.0.1:$OCPP_PORT" \
            --keep-alive var/demo-live-chargers.json \
            >var/ocpp-simulator.log 2>&1 &
        pids+=($!)
        echo "demo: simulated chargers keep 6 stations alive (log var/ocpp-simulator.log)"
    fi
fi
wait "$TRYTOND_PID"
