# gridcase — the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing (system packages as root, a virtualenv with pinned packages),
# start the project-local PostGIS cluster (or use DATABASE_URL), and migrate.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 8000
export PORT

.PHONY: run test reliability lint format bench setup db migrate demo lock clean-db translations screenshots

run: migrate ## Start the web app and the scheduler on $PORT with the demo city.
	$(FLASK) gridcase load-demo
	@bash scripts/serve.sh

test: setup ## Run the whole test suite against real PostGIS (and Chromium).
	@bash scripts/localdb.sh createdb gridcase_test
	GRIDCASE_ENV=testing $(VENV)/bin/pytest $(PYTEST_ARGS)

# The long reliability suite (tests/reliability; its short version runs in `make test`): minutes
# of load on gunicorn, PostgreSQL stopped hard under load (in a throwaway cluster of its own),
# generated and hand-written bad input, the authorisation matrix; a summary at the end.
RELIABILITY_DATABASE_URL ?= postgresql+psycopg://gridcase:gridcase@127.0.0.1:$${GRIDCASE_PGPORT:-54329}/gridcase_reliability
RELIABILITY_OWNER_URL ?= postgresql+psycopg://gridcase_owner:gridcase_owner@127.0.0.1:$${GRIDCASE_PGPORT:-54329}/gridcase_reliability

reliability: setup ## The long reliability suite: load, database outages, bad input, authorisation matrix.
	@bash scripts/localdb.sh createdb gridcase_reliability
	GRIDCASE_ENV=testing GRIDCASE_RELIABILITY=long TEST_DATABASE_URL=$(RELIABILITY_DATABASE_URL) \
		TEST_MIGRATION_DATABASE_URL=$(RELIABILITY_OWNER_URL) \
		$(VENV)/bin/pytest tests/reliability -m reliability $(PYTEST_ARGS)

lint: setup ## ruff (lint and formatting) and import-linter (the layers of docs/architecture.md).
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: migrate ## Benchmarks under bench/, reported as ratios against a baseline of the same run.
	$(PY) -m bench

ASSETS := gridcase/web/static/vendor/.installed
TRANSLATIONS := gridcase/translations/zh/LC_MESSAGES/messages.mo

setup: $(VENV)/.installed $(ASSETS) $(TRANSLATIONS)
	@bash scripts/system-deps.sh server browser assets web

# Front-end libraries from the npm registry, served by the app (no CDN).
$(ASSETS): package-lock.json scripts/assets.sh
	@bash scripts/system-deps.sh assets
	@bash scripts/assets.sh
	@touch $@

$(TRANSLATIONS): gridcase/translations/zh/LC_MESSAGES/messages.po $(VENV)/.installed
	@$(VENV)/bin/pybabel compile -d gridcase/translations >/dev/null

translations: ## Re-extract page texts and rebuild the Chinese catalogue from scripts/translations_zh.py.
	$(PY) scripts/translations_zh.py
	$(VENV)/bin/pybabel compile -d gridcase/translations

$(VENV)/.installed: requirements.lock
	@bash scripts/system-deps.sh server browser assets web
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	@touch $@

db: setup
	@bash scripts/localdb.sh start

migrate: db
	$(FLASK) db upgrade

lock: ## Re-resolve requirements.in into requirements.lock (then review the diff).
	rm -rf /tmp/gridcase-lock && python3 -m venv /tmp/gridcase-lock
	/tmp/gridcase-lock/bin/pip install --quiet -r requirements.in
	/tmp/gridcase-lock/bin/pip freeze --exclude-editable | grep -v '^pip==' > requirements.lock

clean-db: ## Stop the local cluster and delete its data (asks nothing: be sure).
	-@bash scripts/localdb.sh stop
	rm -rf "$$(readlink -f .pgdata)" .pgdata
