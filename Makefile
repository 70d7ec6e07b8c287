# Every target bootstraps .venv by itself; a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast lint fuzz bench bench-engine bench-http bench-levers bench-jobs bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/music-studio demo
	$(BIN)/music-studio serve

test: $(STAMP) lint
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not e2e and not contract"

lint: $(STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fuzz: $(STAMP)
	$(BIN)/pytest -m contract -s

bench: bench-engine bench-jobs bench-scale bench-http

bench-engine: $(STAMP)
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis schemathesis-report reports

bench-http: $(STAMP)
	@command -v wrk >/dev/null || { echo "bench-http needs wrk (apt-get install wrk)"; exit 2; }
	$(BIN)/python bench/http.py

bench-levers: $(STAMP)
	$(BIN)/python bench/levers.py

bench-jobs: $(STAMP)
	$(BIN)/python -m bench.job_latency

bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale
