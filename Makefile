# City Region Datastore — the two commands of the README, and their parts.
#   make run    set up, then the nightly pipeline for recent days against the sandbox
#   make test   set up, then the whole test suite
#   make bench  the benchmarks of issue 13 (minutes; BENCH_MODE=tiny for a quick check), not part of test
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
BENCH_MODE ?=
BASELINE ?=

.PHONY: run test bench setup airflow-db test-deps clean

run: setup airflow-db
	$(BIN)/python -m pipeline nightly $(if $(DAYS),--days $(DAYS))

test: setup airflow-db test-deps
	$(BIN)/python -m pytest

# The comparison tools (dlt, pyarrow, py-spy) live only in bench/.venv, never in requirements.txt.
bench: setup bench/.venv/.installed
	$(BIN)/python -m bench $(if $(filter tiny,$(BENCH_MODE)),--tiny) $(if $(BASELINE),--baseline $(BASELINE))

bench/.venv/.installed: bench/requirements.txt
	test -x bench/.venv/bin/python || $(PYTHON) -m venv bench/.venv
	bench/.venv/bin/python -m pip install --quiet --upgrade pip
	bench/.venv/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

setup: $(VENV)/.installed

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

# Debian packages the tests use: docker-compose validates docker-compose.yml (no daemon).
test-deps:
	@command -v docker-compose >/dev/null || { \
	  echo "installing Debian's docker-compose (to validate docker-compose.yml)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }

clean:
	rm -rf data .airflow dbt_project/target dbt_project/logs
