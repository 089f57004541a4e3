# Triage Desk — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm-local

.PHONY: run test install unit integration bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --no-compile -e '.[dev]'
	touch $(STAMP)

# The tests' model server (.[llm-local]): llama-cpp-python compiles llama.cpp once (several minutes on
# 2 cores; pip caches the wheel, so a fresh venv later takes seconds). Its multimodal library is not built:
# the tests and the openai provider use text chat only. `make run` does not need it.
# A machine that cannot build it still runs every other test (the model-server tests skip, saying why).
$(LLM_STAMP): $(STAMP)
	@if CMAKE_ARGS="$${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" $(PIP) install -q --no-compile -e '.[llm-local]'; then touch $(LLM_STAMP); \
	else echo "WARNING: could not build llama-cpp-python (.[llm-local]): the real-model-server tests will be skipped"; fi

install: $(STAMP)

## Start Temporal dev server (UI :8233), worker and API (:8000) with the seeded demo knowledge base.
run: $(STAMP)
	$(PY) devstack.py

## Debian's Chromium for the Temporal UI browser test (installed when missing and we may: root with apt-get).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || echo "could not install chromium: the Temporal UI browser test will be skipped"; \
	  else echo "chromium is missing and cannot be installed here: the Temporal UI browser test will be skipped"; fi; }

## Set up and run the whole test suite (unit + integration against real servers).
test: $(STAMP) $(LLM_STAMP) browser
	$(PY) -m pytest -q tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP) $(LLM_STAMP) browser
	$(PY) -m pytest -q tests/integration

bench: $(STAMP)
	$(PY) bench/pipeline.py

clean:
	rm -rf var .pytest_cache
