# runsc-py: set-up, demo, tests, benchmarks, lint. README.md describes each target.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt when packaging or the native sources change (the cffi extension is compiled
# by `pip install -e`); Python sources need nothing: the install is editable.
STAMP := $(VENV)/.installed
NATIVE_SRC := $(wildcard native/*.py native/*.c native/*.h)
PYTEST := $(BIN)/python -m pytest -q
export DEBIAN_FRONTEND := noninteractive

.PHONY: setup deps demo test test-all bench bench-quick lint clean

setup: $(STAMP)

# Always checked (cheap: dpkg only, apt-get only when something is missing); order-only,
# so it never forces a reinstall of the venv.
deps:
	@scripts/install-deps.sh

# Old builds of the extension go first: an in-place build named _native.cpython-311-*.so
# would shadow the _native.abi3.so that pip builds (Python tries that suffix first).
$(STAMP): pyproject.toml setup.py $(NATIVE_SRC) | deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	rm -f sentry/_native*.so
	$(BIN)/pip install -q -e '.[test,bench]' --config-settings editable_mode=compat
	@touch $@

demo: setup
	$(BIN)/runsc_py do /usr/bin/python3 -c 'import os, sys; print("hello from Python", sys.version.split()[0], "as pid", os.getpid(), "in", os.getcwd())'
	$(BIN)/runsc_py do /bin/ls -la /etc

test: setup
	$(PYTEST) -m 'not slow' tests

test-all: setup
	$(PYTEST) tests

# Compatibility suite + benchmarks -> bench/results/DATE/{report.md,results.json,*.png}.
# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--compare old.json --peer 'proot -r /'".
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# The CI run: the same in quick mode (< 3 minutes); figures are reported, never asserted.
bench-quick: setup
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info sentry/_native*.so sentry/_native.c
