# Session vs JWT Lab. `make run` serves the site; `make test` runs every test.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
HOST    ?= 127.0.0.1
PORT    ?= 5000
WORKERS ?= 2
SETUP   ?= memory
CLUSTER_PORT ?= 8000

.PHONY: run cluster install dev-install migrate seed test lint format screenshots bench profile clean messages

$(VENV)/bin/python:
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): on Debian run 'apt-get install python3-venv' first."; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev-install: $(VENV)/.dev-installed

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

## Serve the site on http://127.0.0.1:5000 with two gunicorn workers sharing one store and one key.
## The same gunicorn line as the Procfile and the Dockerfile (settings in gunicorn.conf.py).
run: seed
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --access-logfile - --workers $(WORKERS) --bind $(HOST):$(PORT) wsgi:app

## Several instances behind nginx, round-robin: SETUP=memory, shared or jwt (see /lab/scale).
cluster: install
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { echo "Installing nginx (Debian)"; apt-get update -qq && apt-get install -y -qq nginx; } \
	  || { echo "nginx is missing and could not be installed: run 'apt-get install nginx' as root."; exit 1; }
	$(PY) -m harness.cluster $(SETUP) --port $(CLUSTER_PORT)

## Lint, then the whole suite: unit, integration and (with Chromium installed) browser tests.
test: dev-install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: dev-install
	$(VENV)/bin/ruff check .

format: dev-install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Save PNGs of every page at desktop and phone widths into docs/screenshots/.
screenshots: dev-install
	$(PY) -m tests.e2e.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## Throughput and latency of each scheme under gunicorn, measured with wrk (apt-get install wrk).
bench: dev-install
	@command -v wrk >/dev/null 2>&1 || { echo "Installing wrk (Debian)"; apt-get update -qq && apt-get install -y -qq wrk; } \
	  || { echo "wrk is missing and could not be installed: run 'apt-get install wrk' as root."; exit 1; }
	$(PY) -m bench.run --json bench/results/latest.json

## Where each scheme's time goes: in-process timings and a pyinstrument call tree.
profile: dev-install
	$(PY) -m bench.profile

## Extract every translatable text into app/translations/messages.pot and update each language's
## catalog; after translating, `make messages` again compiles them (the .mo files are committed).
messages: dev-install
	$(VENV)/bin/pybabel extract -F babel.cfg -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k plural:1,2 \
	  --sort-by-file --omit-header -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations \
	  --no-fuzzy-matching --ignore-obsolete --init-missing -l ko
	$(VENV)/bin/pybabel compile --statistics -d app/translations
