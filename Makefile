# Summit: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run serve worker beat test install messages lint format demo bench bench-crash bench-live bench-gate clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP) messages

# Translations are compiled with Babel (PyPI), so no GNU gettext is needed.
messages: $(STAMP)
	@$(BIN)/pybabel compile -d src/summit/locale -D django --statistics

run: export SUMMIT_SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/summit migrate --noinput -v 0
	$(BIN)/summit collectstatic --noinput -v 0
	$(BIN)/summit demo --if-empty
	@echo ""
	@echo "Summit is serving on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs)"
	$(BIN)/uvicorn summit.asgi:application --host $(HOST) --port $(PORT) --no-access-log --ws-max-size 65536 --ws-per-message-deflate false

# Production serving (docs/operations.md): gunicorn sync workers, settings in src/summit/gunicorn.conf.py.
serve: install
	$(BIN)/summit migrate --noinput -v 0
	$(BIN)/summit collectstatic --noinput -v 0
	SUMMIT_BIND=$${SUMMIT_BIND:-$(HOST):$(PORT)} $(BIN)/gunicorn -c src/summit/gunicorn.conf.py summit.wsgi:application

# Background jobs and mail on Celery (docs/operations.md): run `make worker` on every worker machine (as often
# as wanted) and `make beat` once; both need SUMMIT_REDIS_URL (or SUMMIT_CELERY_BROKER_URL) and the database.
worker: export SUMMIT_JOBS_BACKEND = celery
worker: install
	$(BIN)/celery -A summit.celery worker --loglevel=INFO $(WORKER_ARGS)

beat: export SUMMIT_JOBS_BACKEND = celery
beat: install
	$(BIN)/celery -A summit.celery beat --loglevel=INFO

# The suite runs on TEST_WORKERS pytest-xdist workers, a test file on one worker (conftest.py).
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

demo: install
	$(BIN)/summit migrate --noinput -v 0
	$(BIN)/summit demo

bench: install
	$(BIN)/python benchmarks/participants.py
	$(BIN)/python benchmarks/seat_rush.py

bench-crash: install
	$(BIN)/python benchmarks/seat_rush.py --kill-workers 3 --strict

# Live fan-out (benchmarks/live_fanout.py): with SUMMIT_REDIS_URL set, also two processes sharing Redis.
bench-live: install
	$(BIN)/python benchmarks/live_fanout.py $(BENCH_ARGS)

# Gates (benchmarks/gate_rush.py): offline verification, scans through the API (with SUMMIT_DATABASE_URL set,
# on PostgreSQL too), the badges' PDF.
bench-gate: install
	$(BIN)/python benchmarks/gate_rush.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/summit.sqlite3* var/static
