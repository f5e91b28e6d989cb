# rightswatch: everything bootstraps .venv from nothing (python3 and make are enough).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench eval venv clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--constraint requirements.lock --editable '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)  ## the whole pipeline on the bundled demo world, output in demo-out/
	$(BIN)/rightswatch demo --out demo-out

test: lint  ## lint, then every test (real servers on loopback)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff on everything, mypy on the package
	$(BIN)/ruff check rightswatch tests benchmarks
	$(BIN)/mypy rightswatch

eval: $(STAMP)  ## the figure extractor on the blind gold set (tune half; `--all` for both)
	$(BIN)/python -m tests.figures.evaluate --all

bench: $(STAMP)  ## benchmarks: prints a table, writes bench-results.json
	$(BIN)/python benchmarks/run.py --out bench-results.json

clean:
	rm -rf $(VENV) demo-out bench-out bench-results.json .pytest_cache .ruff_cache
