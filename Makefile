# The two commands of the README:
#   make run   -- set up .venv, then execute the main job (report of all notebooks, full
#                 scale: sample 1.0, 10 replications; make run SAMPLE=0.1 REPS=4 for less)
#   make test  -- set up .venv, then ruff and the whole test suite (notebooks under nbval)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format notebooks-sync baseline clean

# The venv starts without pip (ensurepip alone took 6-14 s); uv installs everything, pip
# included (tests/test_install.py builds the wheel with it). uv is pip's interface with
# parallel downloads, a shared cache and hard links out of it: the dev set's ~155 packages
# (the same versions) in 5.4 s of CPU and 12-25 s of wall time, where pip took 87 s of CPU
# and 155 s. uv reads no pip.conf (a private index: UV_INDEX_URL, or INSTALLER=pip);
# whenever uv cannot be had or fails, pip installs the same.
INSTALLER ?= uv
UV_SPEC := uv>=0.5,<1

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "simlib needs Python >= 3.11; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv --without-pip $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	@if [ "$(INSTALLER)" = uv ] \
		&& { $(PYTHON) -m pip --python $(BIN)/python install --quiet '$(UV_SPEC)' \
			|| { $(BIN)/python -m ensurepip >/dev/null \
				&& $(BIN)/python -m pip install --quiet '$(UV_SPEC)'; }; } \
		&& echo "uv pip install -e '.[dev]' pip" \
		&& $(BIN)/python -m uv pip install --python $(BIN)/python --quiet -e '.[dev]' pip; \
	then :; else \
		echo "pip install -e '.[dev]'" \
		&& { $(BIN)/python -m pip --version >/dev/null 2>&1 \
			|| $(BIN)/python -m ensurepip >/dev/null; } \
		&& $(BIN)/python -m pip install --quiet -e '.[dev]'; \
	fi
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

# over TEST_WORKERS processes (pytest-xdist; auto: one per core), each notebook's cells in
# one worker (--dist loadscope keeps a module's or notebook's tests together)
TEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider \
		-n $(TEST_WORKERS) --dist loadscope

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the .ipynb files from their jupytext py:percent twins and re-execute them,
# storing fresh outputs (the only way stored notebook outputs change).
notebooks-sync: $(STAMP)
	$(BIN)/python -m simlib.reporting.notebooks sync

clean:
	rm -rf $(VENV) report results .pytest_cache .ruff_cache
