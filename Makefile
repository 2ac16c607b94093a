# Confide: `make run` serves the demo; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# A Python 3.12 or newer: pyenv's (see .python-version) or whatever is on the PATH.
PYTHON := $(shell for p in python3.12 python3.13 python3.14 python3 python $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1 \
	&& { command -v $$p; break; }; done)
export DJANGO_DEBUG ?= 1
DEMO_PASSWORD ?= confide-demo-password
# Where make run serves the demo: make run PORT=8010.
PORT ?= 8000
DEMO_URL := http://127.0.0.1:$(PORT)/

.PHONY: run codes install system-deps test test-deep bench bench-data bench-load lint check clean

$(BIN)/.installed: pyproject.toml requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "Confide needs Python 3.12 or newer: install it (pyenv install 3.12) and try again." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(BIN)/.installed

run: install
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(RUN_PACKAGES)"
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --password "$(DEMO_PASSWORD)"
	$(BIN)/python manage.py demo_signins --url $(DEMO_URL)
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The demo's sign-in codes as they are now (they change every 30 seconds), from any terminal.
codes: install
	@$(BIN)/python manage.py demo_signins --url $(DEMO_URL)

# System packages: Chromium for the browser tests (they never skip; chromium-l10n gives it British
# dates) and Pango for WeasyPrint.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) chromium chromium-l10n
system-deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Confide needs these system packages: sudo apt-get install $$missing" >&2; exit 1; fi; fi

test: install
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(TEST_PACKAGES)"
	$(BIN)/pytest $(PYTEST_ARGS)

# The heavy proofs (tests/proof) with ten times the examples, on any database.
test-deep: install
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(TEST_PACKAGES)"
	CONFIDE_DEEP=1 CONFIDE_PROOF_EXAMPLES=500 $(BIN)/pytest -m heavy $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m tests.bench.run

# A group's bench data (tests/bench/data.py), on DATABASE_URL or the local PostgreSQL's
# confide_bench; resumable: make bench-data SETTINGS=20 YEARS=10 [INTAKE=46].
SETTINGS ?= 20
YEARS ?= 10
INTAKE ?= 46
bench-data: install
	$(BIN)/python -m tests.bench.data --settings $(SETTINGS) --years $(YEARS) --intake $(INTAKE)

# Simulated staff against gunicorn, PostgreSQL and two db_workers (tests/bench/load.py): make
# bench-load [USERS=500] [DURATION=2m]; SETTINGS and YEARS, when given, size its data.
USERS ?= 50
DURATION ?= 5m
bench-load: install
	$(BIN)/python -m tests.bench.load --users $(USERS) --duration $(DURATION) \
	  $(if $(filter command line,$(origin SETTINGS)),--settings $(SETTINGS)) \
	  $(if $(filter command line,$(origin YEARS)),--years $(YEARS))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .secrets/anchors
