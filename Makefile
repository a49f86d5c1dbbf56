# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
UV := $(BIN)/uv
# uv installs from uv.lock; its own version is pinned here so that every machine reads the lock the same way.
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
REPORT_STAMP := $(VENV)/.installed-report
# --locked refuses a uv.lock that no longer matches pyproject.toml (run `make lock`); --inexact keeps uv itself,
# which the lock does not list; the managed-Python download is off since the registries are all we may reach.
SYNC := UV_PYTHON_DOWNLOADS=never $(UV) sync --locked --inexact
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest install install-dev install-report lock lock-upgrade frontend test-frontend system-tools clean \
	bench-telemetry bench-telemetry-instructions bench-telemetry-calls bench-assistant bench-chat

$(PY):
	$(PYTHON) -m venv $(VENV)

$(UV): | $(PY)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(SYNC) --quiet
	touch $@

$(DEV_STAMP): pyproject.toml uv.lock | $(UV)
	$(SYNC) --quiet --extra dev
	touch $(STAMP) $@

$(REPORT_STAMP): pyproject.toml uv.lock | $(UV)
	$(SYNC) --quiet --extra report
	touch $(STAMP) $@

## install / install-dev: the exact versions in uv.lock (the server's dependencies / those plus the dev tools)
install: $(STAMP)
install-dev: $(DEV_STAMP)
## install-report: the server's dependencies and matplotlib, for `todochat slo report` (the weekly report workflow)
install-report: $(REPORT_STAMP)

## lock: write uv.lock anew after a change to pyproject.toml, keeping every version that still fits
lock: | $(UV)
	$(UV) lock

## lock-upgrade: move every locked dependency to the newest version pyproject.toml allows
lock-upgrade: | $(UV)
	$(UV) lock --upgrade

## run: install, build the UI, migrate the embedded SQLite database and serve on http://127.0.0.1:8000
run: install frontend
	$(BIN)/todochat serve --host $(HOST) --port $(PORT)

## frontend: build the static web UI into frontend/out (skipped with a note when npm is missing)
frontend:
	@if [ -f frontend/package.json ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    cd frontend && ( [ -d node_modules ] || npm ci --no-audit --no-fund ) && npm run build; \
	  else echo "npm not found: serving the API without the web UI"; fi; \
	fi

## test: install dev dependencies, lint, type-check and run every test
test: install-dev lint typecheck test-frontend pytest

## test-frontend: type-check the web UI and run its unit tests (vitest)
test-frontend:
	@if command -v npm >/dev/null 2>&1; then \
	  cd frontend && ( [ -d node_modules ] || npm ci --no-audit --no-fund ) && npm run --silent typecheck && npm test; \
	elif [ "$$CI" = "true" ]; then echo "npm not found: the web UI cannot be tested"; exit 1; \
	else echo "npm not found: skipping the web UI's unit tests"; fi

lint: install-dev
	$(UV) lock --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

## pytest: every test, then the telemetry tests again with the OpenTelemetry SDK's own path (TELEMETRY_FAST_PATH=false)
pytest: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)
	TELEMETRY_FAST_PATH=false $(BIN)/pytest tests/telemetry

## bench-telemetry: throughput, P99 and server CPU per request of GET /api/v1/tasks, telemetry on vs off (SQLite,
## and PostgreSQL when TEST_DATABASE_URL is set); uses wrk if installed
bench-telemetry: install-dev
	$(PY) -m bench.telemetry_bench

## bench-telemetry-instructions: instructions per GET /api/v1/tasks, telemetry on vs off, counted by callgrind
## (repeatable to about 1% on a busy machine; SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
bench-telemetry-instructions: install-dev
	$(PY) -m bench.instructions

## bench-telemetry-calls: Python calls and bytecodes per GET /api/v1/tasks, telemetry on vs off, and where they go
bench-telemetry-calls: install-dev
	$(PY) -m bench.calls

## bench-assistant: the offline model's CPU per turn (median, p99, max) over the phrasing table's messages
bench-assistant: install-dev
	$(PY) -m bench.assistant

## bench-chat: chat turns/s (MCP in memory, and over loopback HTTP) beside REST creates/s on the same server, with
## server CPU per request (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
bench-chat: install-dev
	$(PY) -m bench.chat_bench

## system-tools: Debian packages the tests and the benchmarks use (promtool, amtool, chromium, wrk, valgrind); needs root
system-tools:
	@missing=""; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v amtool >/dev/null || missing="$$missing prometheus-alertmanager"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v valgrind >/dev/null || missing="$$missing valgrind"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf $(VENV) frontend/out frontend/.next .pytest_cache .mypy_cache .ruff_cache
