# Inzet: `make run` starts the product with demo data, `make test` runs the test suite.
# Both work on a fresh clone with only Python 3.11+ (`python3`, or PYTHON=...) installed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The install stamp: pip runs again only when pyproject.toml is newer than the last install.
INSTALLED := $(VENV)/.inzet-installed

HOST ?= 127.0.0.1
PORT ?= 8000
# Daphne processes for `make run` (the Procfile's web process defaults to one per CPU).
WEB_CONCURRENCY ?= 1
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="tests/api -x"`.
PYTEST_ARGS ?=
# pytest-xdist processes: most of the suite's time is spent waiting on servers, browsers and
# subprocesses, so two processes on two cores halve it. Each has its own test database and
# Redis database (tests/conftest.py); a file's tests stay in one process. TEST_WORKERS=0 runs
# everything in this process.
TEST_WORKERS ?= 2

.PHONY: run test install lint

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Inzet needs Python 3.11 or newer; '$(PYTHON)' is not. Try: make PYTHON=python3.12 ..." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED)

# DEBUG defaults to true here (a development secret key, local hosts); the database is
# var/inzet.sqlite3 unless DATABASE_URL says otherwise.
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)
	exec $(BIN)/python scripts/run_dev.py --host $(HOST) --port $(PORT) --web-processes $(WEB_CONCURRENCY)

# mypy first (config in pyproject.toml, cache in .mypy_cache): it imports the settings too;
# then the layering contracts (import-linter, [tool.importlinter] in pyproject.toml).
test: install
	SECRET_KEY=$${SECRET_KEY:-insecure-test-key-long-enough-for-jwt-hmac} $(BIN)/mypy backend bots realtime
	$(BIN)/lint-imports --no-cache
	SECRET_KEY=$${SECRET_KEY:-insecure-test-key-long-enough-for-jwt-hmac} $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
