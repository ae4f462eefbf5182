# The two Quick start commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/quickstart.toml

.PHONY: setup setup-dev run test coverage lint bench clean

$(BIN)/chargenet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/chargenet
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Bytecode of chargenet's own packages, which an editable install does not write: where Python
# may not write it either (PYTHONDONTWRITEBYTECODE=1, as on this project's machines) every
# process of a run compiled chargenet at its start, 0.2-0.3 CPU-s each, 0.5 s of the quickstart
# (docs/benchmarks.md). Up to date, this takes a few tenths of a second.
BYTECODE := $(BIN)/python -m compileall -q -j 0 simulator central_system ocppj chargenet

setup: $(BIN)/chargenet
	@$(BYTECODE) > /dev/null

setup-dev: $(VENV)/.dev
	@$(BYTECODE) > /dev/null
	@bash scripts/ensure-chromium

run: setup
	$(BIN)/chargenet run $(SCENARIO)

# --dist loadgroup: the tests that share a costly fixture (the Dask cluster, a scenario's runs)
# run in one process; --no-loadscope-reorder keeps tests/conftest.py's order, longest first.
# Four processes on two cores: the suite waits as much as it computes (a central system in
# another process, a silent backend, a signal), 1,922 tests in 383 s with -n 4 against 493 s
# with -n 3 and 577 s with -n 2 on one idle 2-core machine (2026-12-02, docs/benchmarks.md).
PYTEST := $(BIN)/python -m pytest -n 4 --dist loadgroup --no-loadscope-reorder -q --durations=25
test: setup-dev
	$(PYTEST)

# Line coverage doubles the CPU-bound tests' time (61 -> 135 s for tests/model and tests/reports,
# 2026-12-01), so it is its own target rather than part of every run.
coverage: setup-dev
	$(PYTEST) --cov --cov-report=term

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) out .coverage .import_linter_cache
