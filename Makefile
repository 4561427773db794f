# The two commands of the README:
#   make run   -- set up .venv, then execute the main job (report of all notebooks, full
#                 scale: sample 1.0, 10 replications; make run SAMPLE=0.1 REPS=4 for less)
#   make test  -- set up .venv, then ruff and the whole test suite (notebooks under nbval)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format notebooks-sync baseline clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "simlib needs Python >= 3.11; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(BIN)/python -m simlib warmup
	touch $(STAMP)

SAMPLE ?=
REPS ?=
SEED ?=

run: $(STAMP)
	$(BIN)/python -m simlib report --out report $(if $(SAMPLE),--sample $(SAMPLE)) \
		$(if $(REPS),--reps $(REPS)) $(if $(SEED),--seed $(SEED))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the .ipynb files from their jupytext py:percent twins and re-execute them,
# storing fresh outputs (the only way stored notebook outputs change).
notebooks-sync: $(STAMP)
	$(BIN)/python -m simlib.reporting.notebooks sync

clean:
	rm -rf $(VENV) report results .pytest_cache .ruff_cache
