# The whole developer interface. Only python3 (3.11+) and make are needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KERNEL := crm-workbench
DATASET := datasets/default
PORT ?= 8888

.PHONY: lab test test-fast bench lint format datasets exercises clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "CRM Workbench (Python 3)" >/dev/null
	touch $(STAMP)

$(DATASET)/manifest.json: | $(STAMP)
	$(PY) -m sim simulate --scenario default --out $(DATASET)

lab: $(STAMP) $(DATASET)/manifest.json
	cd notebooks && ../$(PY) -m jupyter lab --port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root,)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow and not notebooks and not browser"

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

exercises: $(STAMP)
	$(PY) -m sim.course build-exercises

clean-venv:
	rm -rf $(VENV)
