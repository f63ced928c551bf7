# ResistLab: every target creates .venv from the lock file on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## analyse the bundled example study end to end (HTML report)
	$(BIN)/python -m resistlab.cli.main report examples/defactinib-study -o demo-output

test: lint  ## lint, type-check, then every test (CI runs this)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

bench: $(STAMP)  ## speed against named peers (scipy curve_fit loop, thunor)
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_synergy.py
	$(BIN)/python benchmarks/bench_rnaseq.py
	$(BIN)/python benchmarks/bench_pathways.py

lock:  ## re-resolve requirements.lock (needs uv)
	uv pip compile pyproject.toml --extra dev --extra bench --universal \
	  --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
