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

.PHONY: run install chromium test bench lint check clean

$(BIN)/.installed: pyproject.toml requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "Confide needs Python 3.12 or newer: install it (pyenv install 3.12) and try again." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --password "$(DEMO_PASSWORD)"
	$(BIN)/python manage.py demo_signins
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Browser tests drive Debian's Chromium; they never skip, so make sure it is here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Browser tests need Chromium: run 'sudo apt-get install chromium' and try again." >&2; exit 1; fi; }

test: install chromium
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m tests.bench.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
