# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
#
#   make demo         platform with demo data on SQLite, http://127.0.0.1:8000/
#   make demo-reset   same, from a fresh database
#   make test         whole test suite on SQLite (DB=postgresql for PostgreSQL)
#   make pwa          build the client app (addons/ev_portal_pwa/web)
#   make lint         flake8
#   make bench        bench-tariff, then bench-billing (PostgreSQL, long)
#   make bench-tariff tariff engine: sessions priced per second
#   make bench-billing month-end invoicing and settlement of 100,000
#                     sessions on PostgreSQL (docs/benchmarks.md)
#   make bench-ocpp   OCPP benchmark on PostgreSQL, minutes; not in bench
#                     (docs/benchmarks.md)
# See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON3 ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
DB ?= sqlite
PYTEST_ARGS ?=

# Python distributions to install in editable mode: every addons/ev_* folder
# with a pyproject.toml. Tryton modules to activate in the demo: every
# addons/ev_* folder with a tryton.cfg (ev_partner, ev_station now; ev_tariff,
# ev_billing, ev_portal_pwa later are picked up automatically).
ADDON_PYPROJECTS := $(sort $(wildcard addons/ev_*/pyproject.toml)) \
	ocpp_daemon/pyproject.toml
EV_MODULES := $(sort $(patsubst addons/%/tryton.cfg,%,\
	$(wildcard addons/ev_*/tryton.cfg)))
LINT_DIRS := $(wildcard addons tools tests demo ocpp_daemon bench conftest.py)

VENV_STAMP := var/venv.stamp

.PHONY: help venv sao pwa demo demo-reset test lint clean distclean bench \
	bench-tariff bench-ocpp bench-billing

help:
	@sed -n 's/^#   //p' Makefile

venv: $(VENV_STAMP)

$(VENV)/pyvenv.cfg:
	$(PYTHON3) -m venv $(VENV)

# One resolver run for the pinned requirements and all addons, so the addons'
# own dependencies are held to constraints.txt too. PYTHONWARNINGS silences
# setuptools' pages of deprecation notices while building the editables.
$(VENV_STAMP): $(VENV)/pyvenv.cfg requirements.txt constraints.txt \
		$(ADDON_PYPROJECTS)
	PYTHONWARNINGS=ignore $(PIP) install --disable-pip-version-check -q \
		-c constraints.txt -r requirements.txt \
		$(foreach p,$(ADDON_PYPROJECTS),-e $(dir $(p)))
	@mkdir -p $(dir $@)
	@touch $@
	@echo "venv: up to date ($(words $(ADDON_PYPROJECTS)) addons)"

sao:
	scripts/install-sao.sh

# The client app (ev_portal_pwa): npm packages pinned by its lock file,
# bundled into addons/ev_portal_pwa/web/dist, which trytond serves.
# Rebuilt only when its sources change, so that two `make test` (SQLite and
# PostgreSQL, as CI runs them side by side) never rebuild it under each
# other's feet.
PWA_DIR := addons/ev_portal_pwa/web
PWA_MODULES := $(PWA_DIR)/node_modules/.package-lock.json
PWA_STAMP := $(PWA_DIR)/dist/.built
PWA_SOURCES := $(PWA_DIR)/build.mjs $(PWA_DIR)/index.html \
	$(PWA_DIR)/manifest.webmanifest $(PWA_DIR)/package.json \
	$(shell find $(PWA_DIR)/src $(PWA_DIR)/tools -type f 2>/dev/null)
pwa: $(PWA_STAMP)

$(PWA_MODULES): $(PWA_DIR)/package-lock.json
	cd $(PWA_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(PWA_STAMP): $(PWA_MODULES) $(PWA_SOURCES)
	cd $(PWA_DIR) && npm run build
	touch $@

demo: venv sao pwa
	EV_MODULES="$(EV_MODULES)" scripts/demo.sh

demo-reset:
	rm -f var/db/demo.sqlite var/db/demo.sqlite-* var/demo-* var/ocpp-outbox.sqlite* \
		var/sandbox.sqlite*
	$(MAKE) demo

# DB and PYTEST_ARGS reach scripts/test.sh through the environment, so
# quotes survive: make test PYTEST_ARGS='-x -k "not slow"'
test: export DB := $(DB)
test: export PYTEST_ARGS := $(PYTEST_ARGS)
test: venv sao pwa
	scripts/test.sh

# `make bench` runs the tariff engine (seconds) and the month-end billing
# run over 100,000 sessions (issue 6; PostgreSQL, see docs/benchmarks.md for
# how long). bench-ocpp stays out of it: it needs a running daemon.
bench: bench-tariff bench-billing

# The tariff engine benchmark (docs/benchmarks.md): sessions priced per
# second by the pure engine, one process. TARIFF_BENCH_ARGS='--sessions
# 100000' for a longer run.
TARIFF_BENCH_ARGS ?=
bench-tariff: venv
	$(VENV)/bin/python bench/tariff_bench.py \
		--output var/bench-tariff.json $(TARIFF_BENCH_ARGS)

# The OCPP benchmark (docs/benchmarks.md), on PostgreSQL. Not a test: it
# measures. BENCH_ARGS='--chargers 10000 --active 500' for the full run.
BENCH_ARGS ?=
bench-ocpp: venv sao
	TRYTOND_DATABASE_URI=$$(scripts/pg.sh) $(VENV)/bin/python \
		bench/ocpp_bench.py --output var/bench-ocpp.json $(BENCH_ARGS)

# The month-end billing benchmark (docs/benchmarks.md), on PostgreSQL: a
# fresh database, 100,000 priced sessions, then invoice_pending and
# create_period timed apart and the books' invariants checked (non-zero
# exit when one fails). BILLING_BENCH_ARGS='--sessions 10000 --clients
# 500' for a shorter run.
BILLING_BENCH_ARGS ?=
bench-billing: venv
	TRYTOND_DATABASE_URI=$$(scripts/pg.sh) $(VENV)/bin/python \
		bench/billing.py --output var/bench-billing.json \
		$(BILLING_BENCH_ARGS)

# Tryton's flake8 ignore list lives in .flake8.
lint: venv
	$(VENV)/bin/flake8 $(LINT_DIRS)

# Build and test artefacts; keeps .venv and the demo database.
clean:
	rm -rf var/test-cache var/sao $(VENV_STAMP) .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d \
		-exec rm -rf {} +

# Everything generated, including .venv and the demo database (var/).
distclean: clean
	rm -rf $(VENV) var
