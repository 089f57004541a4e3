# Triage Desk — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: run test install unit integration bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start Temporal dev server (UI :8233), worker and API (:8000) with the seeded demo knowledge base.
run: $(STAMP)
	$(PY) devstack.py

## Set up and run the whole test suite (unit + integration against real servers).
test: $(STAMP)
	$(PY) -m pytest -q tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

bench: $(STAMP)
	$(PY) bench/pipeline.py

clean:
	rm -rf var .pytest_cache
