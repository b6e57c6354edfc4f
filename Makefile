# Souk Drâa-Tafilalet — every set-up step lives here, so a fresh machine needs only Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/
export TEST_POSTGRES_URL
JOBS ?= 2
PYTEST := $(BIN)/pytest -p no:cacheprovider -n $(JOBS) --dist loadgroup

.PHONY: help install run test test-sqlite test-postgres lint fmt bandit migration \
        i18n-extract i18n-update i18n-compile i18n-check browser bench

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing; installing it"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv; fi; \
	  rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned dependencies

i18n-compile: install  ## compile the translation catalogs (.mo files are not committed)
	@$(BIN)/pybabel -q compile -d translations

i18n-update: install  ## extract messages.pot and merge it into the ar/fr/en catalogs
	$(BIN)/python tools/i18n.py update

i18n-extract: i18n-update

i18n-check: install  ## fail when messages.pot is stale or a catalog is incomplete
	$(BIN)/python tools/i18n.py check

MESSAGE ?= schema change
migration: install  ## write the next revision from the models: make migration MESSAGE="what changed"
	flock migrations/.lock $(BIN)/flask db migrate -m "$(MESSAGE)"

PORT ?= 5000
# Links in e-mails point at the address `make run` serves on (another port: make run PORT=…).
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install i18n-compile  ## migrate, load the demo catalogue if empty, serve on 127.0.0.1:$(PORT)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: install  ## ruff; import-linter: domains depend one way, no import cycles (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bandit: install  ## security lint, medium severity and above
	$(BIN)/bandit -q -c pyproject.toml -r marketplace config.py wsgi.py -ll

test: install i18n-compile lint i18n-check bandit browser  ## the whole suite on SQLite, then PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# Browser tests use Debian's Chromium, never a Playwright browser download. Without it
# (and without the right to install packages) they are skipped, or fail with CI=true.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
browser:  ## install Debian's chromium for the browser tests when it is missing
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif [ "$$CI" = "true" ]; then \
	  echo "$(CHROMIUM) is missing and cannot be installed; CI requires the browser tests"; exit 1; \
	else \
	  echo "$(CHROMIUM) is missing and cannot be installed here: browser tests will be skipped"; \
	fi

test-sqlite: install i18n-compile
	TEST_DATABASE=sqlite $(PYTEST) $(PYTEST_ARGS)

test-postgres: install i18n-compile
	@if $(BIN)/python -c "from tests.helpers import postgres_reachable as r; raise SystemExit(0 if r() else 1)"; then \
	  TEST_DATABASE=postgres $(PYTEST) -m "not e2e" $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL at $(TEST_POSTGRES_URL) is unreachable; CI requires it"; exit 1; \
	else \
	  echo "PostgreSQL at $(TEST_POSTGRES_URL) is unreachable: PostgreSQL tests skipped"; \
	fi

bench: install i18n-compile  ## benchmark catalogue, search and checkout at scale (PostgreSQL, wrk)
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; \
	  else sudo apt-get install -y -qq wrk; fi; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)
