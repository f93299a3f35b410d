# City Region Datastore — the commands of the README, and their parts.
#   make run    set up, then the nightly pipeline for recent days against the sandbox
#   make test   set up, then the whole test suite
#   make test-fast  the suite without the real DAG nights, the scheduler and what builds with dbt
#   make airflow / make airflow-stop   a local Airflow (PostgreSQL, scheduler, dag-processor,
#               api-server, sandbox); make trigger DAY=… ; make airflow-backfill FIRST=… LAST=…
#   make bench  the benchmarks of issue 13 (minutes; BENCH_MODE=tiny for a quick check), not part of test
#   make metrics  write the dbt files config/metrics.yml decides (models, seeds, README table)
#   make dbt-full-refresh   rebuild the incremental dbt models from all raw rows
#   make backfill FROM=… TO=… [BOROUGHS=a,b] [DATASETS=x,y] [DRY_RUN=1] [FROM_LANDING=1]
#               data days FROM..TO (both inclusive) in range queries, one dbt build and publish
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
# The local Airflow (pipeline/local_airflow.py): ports on 127.0.0.1; SANDBOX_PORT=0 for real APIs only.
AIRFLOW_API_PORT ?= 8080
PG_PORT ?= 5433
SANDBOX_PORT ?= 8765
export AIRFLOW_API_PORT PG_PORT SANDBOX_PORT

LINT := .venv-lint/bin

BENCH_MODE ?=
BASELINE ?=

.PHONY: run test test-fast lint metrics bench dbt-full-refresh setup airflow-db test-deps clean \
        airflow airflow-stop airflow-status trigger airflow-backfill postgresql backfill

run: setup airflow-db
	$(BIN)/python -m pipeline nightly $(if $(DAYS),--days $(DAYS))

# The project's own modules are byte-compiled first: where PYTHONDONTWRITEBYTECODE is set (as
# on this CI), no process would keep what it compiles, and every one of the suite's hundreds of
# processes (sandboxes, children, dbt, Airflow tasks) would compile them again.
# The installs (pip into .venv and .venv-lint, Debian packages) run side by side; lint runs
# beside the suite (which leaves CPU idle while it waits on servers) and prints after it;
# either failing fails make test.
test:
	$(MAKE) --no-print-directory -j3 setup test-deps .venv-lint/.installed
	$(MAKE) --no-print-directory airflow-db
	$(BIN)/python -m compileall -q -j 0 -x '/\.venv/' ingest pipeline sandbox dags bench tests dbt_project/scripts > /dev/null
	@$(MAKE) --no-print-directory lint > .venv-lint/lint.log 2>&1 & lint=$$!; \
	$(BIN)/python -m pytest --durations=15; tests=$$?; \
	wait $$lint; linted=$$?; \
	echo "== lint (ruff check, ruff format --check, sqlfluff)"; cat .venv-lint/lint.log; \
	if [ $$linted -ne 0 ]; then echo "lint failed"; fi; \
	[ $$tests -eq 0 ] && [ $$linted -eq 0 ]

# The edit-test loop: without the real DAG nights, the real scheduler, the reference run
# and the other tests that build a warehouse with dbt (marked slow).
test-fast:
	$(MAKE) --no-print-directory -j2 setup test-deps
	$(MAKE) --no-print-directory airflow-db
	$(BIN)/python -m pytest -m "not e2e and not scheduler and not reference and not slow"

# Each metric is declared once, in config/metrics.yml: this writes the dbt models, seeds and
# README table it decides (committed; tests/test_metric_config.py fails when they are stale).
metrics: setup
	$(BIN)/python -m pipeline metrics

# The comparison tools (dlt, pyarrow, py-spy) live only in bench/.venv, never in requirements.txt.
# BENCH_ONLY=load,dbt_history runs some row groups (python -m bench --help lists them).
bench: setup airflow-db bench/.venv/.installed
	$(BIN)/python -m bench $(if $(filter tiny,$(BENCH_MODE)),--tiny) $(if $(BASELINE),--baseline $(BASELINE)) \
	  $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

# Rebuild the incremental dbt models of the pipeline's warehouse from all raw rows (README:
# "dbt is incremental"); the next night publishes the result.
dbt-full-refresh: setup
	$(BIN)/python -m pipeline.dbt_runner --full-refresh

bench/.venv/.installed: bench/requirements.txt
	test -x bench/.venv/bin/python || $(PYTHON) -m venv bench/.venv
	bench/.venv/bin/python -m pip install --quiet --upgrade pip
	bench/.venv/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

setup: $(VENV)/.installed

# ruff (check and format) over Python; sqlfluff with the dbt templater over the dbt models
# (one process: in make test it runs beside the suite, where a second costs ~9 CPU-s more
# for a dbt parse of its own and finishes no sooner).
lint: .venv-lint/.installed
	$(LINT)/ruff check .
	$(LINT)/ruff format --check .
	cd dbt_project && CITY_WAREHOUSE_PATH=$(CURDIR)/.venv-lint/lint.duckdb ../$(LINT)/sqlfluff lint models tests macros --processes 1 --disable-progress-bar

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

# A local Airflow on a throwaway PostgreSQL under .airflow/pg (SQLite dies under a scheduler:
# "database is locked"). Prints the UI address and the generated login.
airflow: setup postgresql
	$(BIN)/python -m pipeline.local_airflow start

airflow-stop:
	$(BIN)/python -m pipeline.local_airflow stop

airflow-status:
	$(BIN)/python -m pipeline.local_airflow status

# One data day under the running local Airflow: make trigger DAY=2026-11-22 [BOROUGHS=camden,barnet]
trigger:
	@test -n "$(DAY)" || { echo "usage: make trigger DAY=YYYY-MM-DD [BOROUGHS=camden,barnet]"; exit 2; }
	$(BIN)/python -m pipeline.local_airflow trigger $(DAY) "$(BOROUGHS)"

# Data days FIRST..LAST as an Airflow backfill (Backfills tab):
#   make airflow-backfill FIRST=… LAST=… [BOROUGHS=camden,barnet] [RUNS=2]
airflow-backfill:
	@test -n "$(FIRST)" -a -n "$(LAST)" || { echo "usage: make airflow-backfill FIRST=YYYY-MM-DD LAST=YYYY-MM-DD [BOROUGHS=a,b] [RUNS=2]"; exit 2; }
	$(BIN)/python -m pipeline.local_airflow backfill $(FIRST) $(LAST) --max-active-runs $(or $(RUNS),2) \
	  $(if $(BOROUGHS),--boroughs $(BOROUGHS))

# Data days FROM..TO, both inclusive, fetched per feed in range queries, loaded once, one dbt
# build and publish (pipeline/backfill.py), against the sandbox unless NO_SANDBOX=1:
#   make backfill FROM=2026-01-01 TO=2026-03-31 [BOROUGHS=camden,barnet] [DATASETS=x,y] [DRY_RUN=1] [FROM_LANDING=1]
backfill: setup
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD [BOROUGHS=a,b] [DATASETS=x,y] [DRY_RUN=1] [FROM_LANDING=1]"; exit 2; }
	$(BIN)/python -m pipeline backfill --from $(FROM) --to $(TO) $(if $(BOROUGHS),--boroughs $(BOROUGHS)) \
	  $(if $(DATASETS),--datasets $(DATASETS)) $(if $(DRY_RUN),--dry-run) $(if $(FROM_LANDING),--from-landing) \
	  $(if $(NO_SANDBOX),--no-sandbox)

# Debian's PostgreSQL, for Airflow's metadata database (make airflow, tests/test_scheduler.py).
postgresql:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql (Airflow's metadata database)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Debian packages the tests use, in one apt-get: docker-compose validates docker-compose.yml
# (no daemon); postgresql runs the real scheduler's metadata database (tests/test_scheduler.py);
# chromium opens the dashboard and the docs site headless (tests/headless_chromium.py).
test-deps:
	@missing="$$(ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || echo postgresql) \
	  $$(command -v docker-compose >/dev/null || echo docker-compose) \
	  $$(command -v chromium >/dev/null || echo chromium)"; \
	if [ -n "$$(echo $$missing)" ]; then \
	  echo "installing Debian's $$(echo $$missing) (the tests' database, compose check and browser)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf data .airflow dbt_project/target dbt_project/logs .venv-lint
