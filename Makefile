# The two Quick start commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/quickstart.toml

.PHONY: setup setup-dev run test lint bench clean

$(BIN)/chargenet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/chargenet
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/chargenet

setup-dev: $(VENV)/.dev
	@bash scripts/ensure-chromium

run: setup
	$(BIN)/chargenet run $(SCENARIO)

# --dist loadgroup: the tests that share a costly fixture (the Dask cluster, a scenario's runs)
# run in one process; --no-loadscope-reorder keeps tests/conftest.py's order, longest first.
test: setup-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder -q --cov --cov-report=term --durations=25

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) out .coverage .import_linter_cache
