# Pacte: two commands.
#   make run   set everything up (Python and npm dependencies from lock files, SQLite, migrations,
#              demo data) and serve on http://127.0.0.1:8000
#   make test  install what the tests need (including Debian's chromium and chromium-driver) and run
#              the whole suite. DATABASE_URL=postgres://… runs it on PostgreSQL.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The suite runs on every core (pytest-xdist; one test database per worker). PYTEST_ARGS="-n 0" runs it
# in one process, PYTEST_ARGS="-n 0 path::test" one test.
PYTEST_ARGS ?= -n auto
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)

.PHONY: run test install install-python install-node install-system-test messages lint check demo serve bench clean

run: install messages
	mkdir -p var/static
	$(MANAGE) migrate --noinput
	$(MANAGE) import_country_data
	$(MANAGE) load_demo
	$(MANAGE) load_country_demo
	@echo
	@$(MANAGE) demo_logins
	@echo
	@echo "Pacte is starting on http://127.0.0.1:8000  (Ctrl+C to stop)"
	$(MANAGE) runserver 127.0.0.1:8000

test: install install-system-test messages
	mkdir -p var/static
	$(PY) -m ruff check .
	$(PY) -m mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	$(PY) bin/check_catalogues.py
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_ALLOWED_HOSTS=pacte.example.org \
		DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(MANAGE) check --deploy --fail-level WARNING
	$(PY) -m pytest $(PYTEST_ARGS)

install: install-python install-node

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

install-python: $(UV)
	$(UV) sync --frozen --quiet

install-node:
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund --loglevel=error; fi

# Debian packages the suite needs: a real headless Chromium and its driver, and gettext's msgfmt.
install-system-test:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/chromedriver ] || missing="$$missing chromium-driver"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

messages:
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	$(MANAGE) compilemessages --ignore=.venv --ignore=.tools --ignore=node_modules -v 0

# Regenerate the catalogues after changing strings (then translate the new entries).
makemessages:
	$(MANAGE) makemessages -l fr -l en --ignore=.venv --ignore=.tools --ignore=node_modules --ignore=var --ignore=tests --ignore=bench --ignore=test-artifacts --no-obsolete
	# English is the source language: every msgstr is its msgid (fuzzy guesses are dropped first).
	msgattrib --clear-fuzzy --empty -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po
	msgen -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

bench: install
	$(PY) bench/compacts_bench.py
	$(PY) bench/results_bench.py --drop
	$(PY) bench/grants_bench.py --drop

clean:
	rm -rf var/pacte.sqlite3 var/static var/test-media
