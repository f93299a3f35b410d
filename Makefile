# City Region Datastore — the two commands of the README, and their parts.
#   make run    set up, then the nightly pipeline for recent days against the sandbox
#   make test   set up, then the whole test suite
#   make test-fast  the suite without the real DAG nights and the reference run
# Both are idempotent: set-up steps are skipped when already done.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export AIRFLOW__LOGGING__COLORED_CONSOLE_LOG := False
export PYTHONPATH := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := False
DAYS ?=

LINT := .venv-lint/bin

.PHONY: run test test-fast lint setup airflow-db test-deps clean

run: setup airflow-db
	$(BIN)/python -m pipeline nightly $(if $(DAYS),--days $(DAYS))

test: setup airflow-db test-deps lint
	$(BIN)/python -m pytest --durations=15

test-fast: setup test-deps
	$(BIN)/python -m pytest -m "not e2e and not reference"

setup: $(VENV)/.installed

# ruff (check and format) over Python; sqlfluff with the dbt templater over the dbt models.
lint: .venv-lint/.installed
	$(LINT)/ruff check .
	$(LINT)/ruff format --check .
	cd dbt_project && CITY_WAREHOUSE_PATH=$(CURDIR)/.venv-lint/lint.duckdb ../$(LINT)/sqlfluff lint models tests macros --processes 2 --disable-progress-bar

.venv-lint/.installed: requirements-lint.txt constraints-lint.txt
	test -x $(LINT)/python || $(PYTHON) -m venv .venv-lint
	$(LINT)/python -m pip install --quiet -r requirements-lint.txt -c constraints-lint.txt
	touch $@

$(VENV)/.installed: requirements.txt constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

airflow-db: $(AIRFLOW_HOME)/.migrated $(AIRFLOW_HOME)/.pools

# One Airflow pool per borough API host (pipeline/pools.py), again whenever config changes.
$(AIRFLOW_HOME)/.pools: $(AIRFLOW_HOME)/.migrated config/pipeline.yml $(wildcard config/regions/*.yml)
	$(BIN)/python -m pipeline pools
	touch $@

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/migrate.log; exit 1; }
	touch $@

# Debian packages the tests use: docker-compose validates docker-compose.yml (no daemon);
# chromium opens the dashboard and the docs site headless (tests/headless_chromium.py).
test-deps:
	@command -v docker-compose >/dev/null || { \
	  echo "installing Debian's docker-compose (to validate docker-compose.yml)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium (headless browser tests of the dashboard)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf data .airflow dbt_project/target dbt_project/logs .venv-lint
