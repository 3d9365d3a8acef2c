# Deep Learning in Particle and Astroparticle Physics: one-command entry points.
#
#   make lab    set up .venv, prepare the data, open JupyterLab on the lectures
#   make test   set up .venv, prepare the data, run every test and execute every lecture
#   make site   the course website (executed lectures, cards, exercises) in build/site/html
#
# Both work from a fresh clone with nothing installed but Python 3.11 (or 3.12) and make.
# Settings (environment or make variables):
#   HEPCOURSE_PROFILE=quick|full   sample sizes and epochs (default quick)
#   PYTHON=/path/to/python3.11     interpreter used to create .venv (default: python3.11,
#                                  else python3 if it is 3.11 or 3.12)
#   PYTEST_ARGS="-k ..."           extra pytest arguments for `make test` / `make test-fast`
#   TEST_WORKERS=2                 pytest-xdist workers (0: one process)
#   LAB_ARGS="--port=9999 ..."     extra JupyterLab arguments for `make lab`
#   CI=true or NO_LAB=1            `make lab` prepares everything but does not start Jupyter
#   NO_UV=1                        install the lock with pip instead of uv

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?=

HEPCOURSE_PROFILE ?= quick
export HEPCOURSE_PROFILE
# Recipes see the venv's tools first, as in an activated venv: nbgrader's gradebook runs
# `alembic` as a subprocess found on PATH, and notebooks may call `jupyter`/`nbgrader`.
export PATH := $(VENV)/bin:$(PATH)

PYTEST_ARGS ?=
CI ?=
NO_LAB ?=
NO_UV ?=
LAB_ARGS ?=
ASSIGNMENT ?=

LAB_CMD = $(VENV)/bin/jupyter lab --notebook-dir=$(ROOT) --LabApp.default_url=/lab/tree/lectures $(LAB_ARGS)

.PHONY: help env data lab test test-fast site site-test release benchmark clean-env

help: ## list the targets
	@echo "usage: make <target>   (HEPCOURSE_PROFILE=$(HEPCOURSE_PROFILE))"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

# ---- environment ---------------------------------------------------------------------
# .venv is installed from requirements.lock: every package of the tree at an exact version,
# checked against its sha256, so every machine runs the same bytes. uv (a pinned release,
# installed into .venv/.uv) does it in about 20 s; where uv cannot be installed, pip does the
# same from the same lock, more slowly. `uv pip sync` also removes what the lock does not list,
# so an older .venv is brought in line. The install reruns only when pyproject.toml or the lock
# is newer than the stamp, so a repeated `make test` does not touch the network.
LOCK := $(ROOT)/requirements.lock
UV_VERSION := 0.13.9
UV_DIR := $(VENV)/.uv
UV := $(UV_DIR)/bin/uv
# the lock is universal (Linux, macOS, Windows; Python 3.11 and 3.12)
LOCK_CMD = $(UV) pip compile $(ROOT)/pyproject.toml --universal --python-version 3.11 --generate-hashes \
           --custom-compile-command "make lock" -o $(LOCK)

env: $(STAMP) ## create .venv and install the locked environment (only what changed)

$(PY):
	@py="$(PYTHON)"; \
	if [ -z "$$py" ]; then \
	  for cand in python3.11 python3; do \
	    if command -v "$$cand" >/dev/null 2>&1 && \
	       "$$cand" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null; then \
	      py="$$cand"; break; \
	    fi; \
	  done; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "error: the course needs Python 3.11 (3.12 also works) and none was found." >&2; \
	  echo "  python3 is: $$(python3 --version 2>&1 || echo 'not installed')" >&2; \
	  echo "  install 3.11, e.g.  pyenv install 3.11 && pyenv local 3.11" >&2; \
	  echo "                      sudo apt-get install python3.11 python3.11-venv   (Debian/Ubuntu)" >&2; \
	  echo "                      brew install python@3.11                          (macOS)" >&2; \
	  echo "                      conda env create -f environment.yml               (conda)" >&2; \
	  echo "  then run make again, or point to it: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; \
	  exit 1; \
	fi; \
	echo "creating $(VENV) with $$(command -v $$py) ($$($$py --version 2>&1))"; \
	"$$py" -m venv "$(VENV)"

$(STAMP): $(ROOT)/pyproject.toml $(LOCK) | $(PY)
	@$(PY) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' || { \
	  echo "error: $(VENV) uses $$($(PY) --version 2>&1); the course needs 3.11 or 3.12." >&2; \
	  echo "  run: make clean-env && make $(MAKECMDGOALS)" >&2; exit 1; }
	@if [ -z "$(NO_UV)" ]; then $(MAKE) --no-print-directory uv; fi
	@if [ -z "$(NO_UV)" ] && [ -x "$(UV)" ]; then \
	  echo "installing requirements.lock into $(VENV) with uv $(UV_VERSION)"; \
	  "$(UV)" pip sync --python "$(PY)" --require-hashes --compile-bytecode "$(LOCK)"; \
	  "$(UV)" pip install --python "$(PY)" --no-deps -e "$(ROOT)"; \
	else \
	  echo "installing requirements.lock into $(VENV) with pip (uv is not available here; slower)"; \
	  $(PY) -m pip install --disable-pip-version-check --require-hashes -r "$(LOCK)"; \
	  $(PY) -m pip install --disable-pip-version-check --no-deps -e "$(ROOT)"; \
	fi
	@touch "$(STAMP)"

.PHONY: uv lock sync
sync: ## bring an existing .venv in line with requirements.lock (reinstall what differs, remove extras)
	@rm -f "$(STAMP)"
	@$(MAKE) --no-print-directory env

uv: | $(PY) ## install the pinned uv into .venv/.uv (make env falls back to pip if this fails)
	@if [ ! -x "$(UV)" ] || [ "$$("$(UV)" --version 2>/dev/null | cut -d' ' -f2)" != "$(UV_VERSION)" ]; then \
	  rm -rf "$(UV_DIR)"; \
	  $(PY) -m pip install --disable-pip-version-check -q --target "$(UV_DIR)" "uv==$(UV_VERSION)" \
	    || { rm -rf "$(UV_DIR)"; echo "warning: could not install uv $(UV_VERSION); make env uses pip" >&2; }; \
	fi

lock: uv ## re-resolve requirements.lock after a change of pyproject.toml's pins (network)
	$(LOCK_CMD)

clean-env: ## delete .venv (the data cache is kept)
	rm -rf "$(VENV)"

# ---- data ----------------------------------------------------------------------------
data: env ## generate/verify the datasets of the profile in the cache (fast when cached)
	$(PY) -m hepcourse data prepare --profile $(HEPCOURSE_PROFILE)

# ---- the two user-facing targets -------------------------------------------------------
lab: data ## open JupyterLab on the lectures (CI=true or NO_LAB=1: prepare only)
	@if [[ "$(CI)" =~ ^(true|True|TRUE|1|yes)$$ || "$(NO_LAB)" =~ ^(true|True|TRUE|1|yes)$$ ]]; then \
	  echo "CI/NO_LAB is set: environment and data are ready; not starting JupyterLab."; \
	  echo "would run: $(LAB_CMD)"; \
	else \
	  cd "$(ROOT)" && exec $(LAB_CMD); \
	fi

# ---- system packages: headless Chromium + chromedriver (tests/test_browser.py), g++ (hls4ml) ----
.PHONY: system
system: ## install the Debian packages the tests need (root + apt only)
	@bash "$(ROOT)/tools/install_system_packages.sh"

# Two pytest workers (pytest-xdist), one file at a time each (--dist loadfile keeps a notebook's
# cells, and a module's shared fixtures, on one worker). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadfile)

# The lectures' outputs are kept in build/executed (conftest.py), and the course website is then
# built from them and checked in the browser (site-test); with PYTEST_ARGS the site is left out.
EXECUTED := $(ROOT)/build/executed
SITE := $(ROOT)/build/site

test: data system ## run every test tier, execute every lecture notebook (nbval), build and check the site; what CI runs
	cd "$(ROOT)" && MPLBACKEND=Agg HEPCOURSE_EXECUTED_NOTEBOOKS="$(EXECUTED)" $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)
	@if [ -z "$(PYTEST_ARGS)" ]; then $(MAKE) --no-print-directory site-test SITE_ARGS=--require-executed; fi

SITE_ARGS ?=
site: data ## build the course website into build/site/html (lectures executed once, unless make test left them)
	cd "$(ROOT)" && $(PY) -m hepcourse site --out "$(SITE)" --executed "$(EXECUTED)" $(SITE_ARGS)

site-test: site ## build the site and check it: served on loopback, opened in headless Chromium, links checked
	cd "$(ROOT)" && HEPCOURSE_SITE_HTML="$(SITE)/html" $(PY) -m pytest -p no:xdist -q tests/test_site.py -m browser

test-fast: env ## the unit tier only: no data generation, no notebooks, no grading (under a minute)
	cd "$(ROOT)" && MPLBACKEND=Agg $(PY) -m pytest -m unit $(XDIST) $(PYTEST_ARGS)

# ---- maintainers -----------------------------------------------------------------------------
benchmark: data ## generation rates, notebook time + memory, autograde time, simulator vs GAN, FPGA -> benchmarks/results/
	@mkdir -p "$(ROOT)/benchmarks/results"
	@cd "$(ROOT)"; \
	for b in generation hls4ml_generation notebooks grading calorimeter fpga thresholds install; do \
	  echo "== benchmarks/$$b.py"; \
	  MPLBACKEND=Agg $(PY) "benchmarks/$$b.py" | tee "benchmarks/results/$$b.txt"; \
	done

# ---- instructors ---------------------------------------------------------------------------
release: env ## regenerate exercises/ from solutions/ (all, or ASSIGNMENT=NN_topic)
	@cd "$(ROOT)"; \
	assignments="$(ASSIGNMENT)"; \
	if [ -z "$$assignments" ]; then \
	  for d in solutions/*/; do if [ -d "$$d" ]; then assignments="$$assignments $$(basename "$$d")"; fi; done; \
	fi; \
	if [ -z "$$assignments" ]; then echo "no assignments under solutions/"; exit 0; fi; \
	for a in $$assignments; do \
	  echo "== nbgrader generate_assignment $$a"; \
	  $(VENV)/bin/nbgrader generate_assignment "$$a" --force; \
	done
