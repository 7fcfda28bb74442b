# AgentCRM developer commands. `make run` and `make test` work on a fresh clone:
# the first call creates .venv and installs the pinned dependencies.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 (pyproject: requires-python >=3.11,<3.12); override with `make PYTHON=...`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` ("auto": one per core; 0: one process, e.g. for --pdb
# or a handful of tests, which then need one test database instead of one per worker).
PYTEST_WORKERS ?= auto

.PHONY: help install run test lint deadcode fmt messages bench

help:
	@echo "make run       migrate, load demo data, start web (127.0.0.1:8000) + worker with beat"
	@echo "make test      run the test suite on PYTEST_WORKERS=auto workers (PYTEST_ARGS='-k health -x')"
	@echo "make lint      ruff check + ruff format --check, import-linter, djLint (templates)"
	@echo "make deadcode  vulture: unused code in the apps (whitelist: .ci/vulture_whitelist.py)"
	@echo "make fmt       ruff format + ruff check --fix"
	@echo "make messages  update and compile translations (zh_Hans, en)"
	@echo "make bench     run bench/run.py"
	@echo "make install   create .venv and install the pinned dependencies"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-run whenever the dependency list or the pins change.
$(STAMP): pyproject.toml requirements/constraints.txt bin/install-deps | $(PY)
	$(PY) bin/install-deps
	@touch $@

install: $(STAMP)

run: $(STAMP)
	bash bin/dev-run

# In parallel (pytest-xdist): each worker has its own test database and Redis key prefix;
# the tests that start Celery workers or Redis, and the browser tests, run one after another
# on one worker per group (XDIST_GROUPS in tests/conftest.py).
test: $(STAMP)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/djlint templates --lint

deadcode: $(STAMP)
	$(VENV)/bin/vulture

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en \
		--ignore=.venv --ignore=var --ignore=staticfiles --ignore=static --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var --ignore=staticfiles

bench: $(STAMP)
	@test -f bench/run.py || { echo "bench/run.py does not exist yet" >&2; exit 1; }
	$(PY) bench/run.py
