# The whole developer interface. Only python3 (3.11+) and make are needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATASET := datasets/default
PORT ?= 8888

.PHONY: lab studio test test-fast bench lint format datasets exercises site clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes. sim.course.lab --setup-only registers the
# crm-workbench kernel in the venv and writes JupyterLab's settings (no news pop-up).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m sim.course.lab --setup-only
	touch $(STAMP)

$(DATASET)/manifest.json: | $(STAMP)
	$(PY) -m sim simulate --scenario default --out $(DATASET)

# JupyterLab on notebooks/, opening 00_welcome.ipynb on the course kernel (see sim/course/lab.py).
lab: $(STAMP) $(DATASET)/manifest.json
	$(PY) -m sim.course.lab --port=$(PORT)

# The what-if studio (Voilà) on a free localhost port; STUDIO_PORT=N to choose one.
studio: $(STAMP)
	$(PY) -m sim studio $(if $(STUDIO_PORT),--port=$(STUDIO_PORT))

# On every core (pytest-xdist): a module's tests stay on one worker, so its module fixtures
# (site build, nbgrader and otter courses) are built once; the notebook runs are dealt out
# one by one (tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
XDIST = -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider $(XDIST) --durations=15

test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider $(XDIST) -m "not slow and not notebooks and not browser"

bench: $(STAMP)
	$(PY) tests/benchmarks/run.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

datasets: $(STAMP)
	$(PY) -m sim simulate --scenario default --out $(DATASET) --force

# The course site in _build/html: notebooks executed (cached in _build/), exercise sheets
# unexecuted, no solutions.
site: $(STAMP) $(DATASET)/manifest.json
	$(PY) -m sim.course site --out _build

exercises: $(STAMP)
	$(PY) -m sim.course build-exercises

clean-venv:
	rm -rf $(VENV)
