# PandasPlotBench in sandboxes. `make bench` runs the benchmark, `make test` the tests.
# Every target installs what it needs and caches it: a second run only does new work.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := .cache/wheelhouse
export BASE_IMAGE ?= ppb/debian-python:bookworm
export SANDBOX_IMAGE ?= ppb/sandbox:latest
export SERVICE_IMAGE ?= ppb/service:latest
PIP_PLATFORM := --only-binary=:all: --python-version 3.11 --implementation cp \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 --platform any

.PHONY: help venv images base-image sandbox-image service-image test lint format bench perf clean

help:
	@echo "make bench   run PandasPlotBench (MODEL=, DATASET=, LIMIT=, IDS=, ... see README)"
	@echo "make test    build what is needed and run the test suite"
	@echo "make perf    latency/throughput benchmarks against baselines"
	@echo "make lint    ruff and mypy"

venv: $(BIN)/.stamp
$(BIN)/.stamp: requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.lock
	# The repo itself goes on the path (no build step): orchestrator/ and judge/ import live.
	$(BIN)/python -c 'import os, sysconfig; open(os.path.join(sysconfig.get_path("purelib"), "ppb-repo.pth"), "w").write(os.getcwd() + "\n")'
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

base-image:
	executor-image/build-base.sh

sandbox-image: base-image $(WHEELS)/sandbox/.stamp
	executor-image/build-image.sh $(SANDBOX_IMAGE) executor-image/Dockerfile \
	  executor-image/requirements.lock executor-image/sandbox_server.py orchestrator/pngcheck.py

service-image: base-image $(WHEELS)/service/.stamp
	executor-image/build-image.sh $(SERVICE_IMAGE) executor-image/service.Dockerfile \
	  requirements/service.lock pyproject.toml orchestrator judge

images: sandbox-image service-image

test: venv images
	CI=$${CI:-} bash -c '$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && { echo "no tests collected"; exit 0; }; exit $$rc'

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
