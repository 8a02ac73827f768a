# The two commands: `make run` (set up and start the platform) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp
# axe-core, which the browser tests inject into the rater pages (tests/ratings/test_accessibility.py).
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test install lint format messages clean-var

run: install
	@export DEBUG=$${DEBUG:-true}; \
	set -e; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py demo; \
	$(BIN)/python manage.py researcher; \
	echo "Admin: http://127.0.0.1:$(PORT)/admin/   Raters: http://127.0.0.1:$(PORT)/s/seed-claim/"; \
	exec $(BIN)/python -m config.launcher --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP) .env.local $(AXE)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The browser tests' JavaScript from npm, as package-lock.json pins it; without npm those
# tests skip (and CI, where every test must run, fails).
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility audit will be skipped"; fi

# This checkout's development settings (DEBUG on, a SECRET_KEY of its own), written once,
# so that every manage.py command works here as printed; see config/local.py.
.env.local: | $(STAMP)
	$(BIN)/python -m config.local

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench --ignore=var

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The rater pages' catalogues (locale/, .po and .mo both committed): after changing a rater
# string, run this (it needs GNU gettext) and translate what it left empty or fuzzy;
# tests/ratings/test_translations.py fails until every language is complete.
messages: install
	$(BIN)/python manage.py makemessages --all --no-location --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

clean-var:
	rm -rf var
