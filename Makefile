# The two commands of the README: `make serve` and `make test`.
# Everything is installed into .venv as ordinary pip installs: the core, then every
# package under plugins/ (found by the portal only through their entry points).

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make serve PORT=7000` (or PORT=7000 in the environment) serves on another port.
PORT ?= 6543
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
SOURCES := pyproject.toml $(wildcard plugins/*/pyproject.toml) $(shell find portal plugins -type f \( -name '*.py' -o -name '*.md' -o -name '*.jinja2' -o -name '*.css' -o -name '*.js' -o -name '*.svg' \) -not -path '*/build/*' 2>/dev/null)
# pip shows what it downloads and builds; the first run installs everything (a few minutes).
PIP_INSTALL := $(BIN)/pip install --progress-bar on --disable-pip-version-check
# Pyramid imports pkg_resources, which warns on every start; that one warning, nothing else.
export PYTHONWARNINGS := ignore:pkg_resources is deprecated:UserWarning

.PHONY: serve test lint install install-test db bench bench-search audit examples freshness clean

$(BIN)/python:
	@echo "==> Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --quiet --upgrade pip setuptools wheel

$(VENV)/.installed-serve: $(BIN)/python $(SOURCES)
	@echo "==> Installing the portal and its $(words $(PLUGINS)) plugins into $(VENV) (the first run downloads everything: a few minutes)"
	$(PIP_INSTALL) ".[dev,postgresql]" $(PLUGINS) | { grep -v '^Requirement already satisfied' || true; }
	@$(BIN)/python -c "import portal" && touch $@

$(VENV)/.installed-test: $(BIN)/python $(SOURCES)
	@echo "==> Installing the portal, its $(words $(PLUGINS)) plugins and the test tools into $(VENV) (the first run downloads everything: a few minutes)"
	$(PIP_INSTALL) ".[testing,dev,postgresql]" $(PLUGINS) | { grep -v '^Requirement already satisfied' || true; }
	@$(BIN)/python -c "import portal, pytest" && touch $@ $(VENV)/.installed-serve

# axe-core for the browser tests' accessibility checks (tests/browser), from the npm
# registry at the version package-lock.json pins. Without npm those checks skip (or fail in CI).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then echo "==> npm ci (axe-core for the browser tests)"; npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is not installed: the accessibility checks of tests/browser will not run"; fi

install: $(VENV)/.installed-serve
install-test: $(VENV)/.installed-test node_modules/.package-lock.json

db: install
	@mkdir -p var
	$(BIN)/portal db upgrade development.ini

serve: db
	@echo "==> Serving http://127.0.0.1:$(PORT)/ (Ctrl+C stops)"
	$(BIN)/pserve development.ini http_port=$(PORT)

test: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff: lint and import order (pyproject.toml); CI runs it before the tests.
lint: install-test
	$(BIN)/ruff check .

# The sections' worked examples as tested projects (docs/examples.md): each in a virtual
# environment of its own with the section's tested_with versions, kept in
# ${XDG_CACHE_HOME:-~/.cache}/portal/examples. `make examples SECTION=django` runs one section
# (several: SECTION="django flask"); without SECTION, all. CI runs them in `make test`.
examples: install
	$(BIN)/portal examples run $(SECTION)

# Which sections are tested with versions behind the newest releases (asks PyPI; not a test).
freshness: install
	$(BIN)/portal examples freshness $(SECTION)

# The benchmark (bench/run.py): wrk from Debian when it can be installed, else bench/load.py.
bench: install $(VENV)/.installed-bench
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get install -y -q wrk >/dev/null; } || echo "wrk is not installed: bench/load.py generates the load"
	$(BIN)/python bench/run.py

# Search (bench/search, issue 14): the judged queries of bench/search/queries.yaml scored for
# the portal and for lunr as MkDocs configures it (success@1, success@3, MRR@10), then search
# latency on one connection over 10,000 generated pages and the index's start-up cost.
$(VENV)/.installed-bench: $(VENV)/.installed-serve pyproject.toml
	$(PIP_INSTALL) ".[bench,dev,postgresql]" | { grep -v '^Requirement already satisfied' || true; }
	@$(BIN)/python -c "import lunr" && touch $@

bench-search: install $(VENV)/.installed-bench
	$(BIN)/python bench/search/score.py
	$(BIN)/python bench/search/speed.py

# Lighthouse (npm, tools/audit: never installed by make test) with Debian's Chromium: the four
# scores of the home page, a page, search and insights, phone and desktop (bench/AUDIT.md).
tools/audit/node_modules/.package-lock.json: tools/audit/package.json tools/audit/package-lock.json
	npm ci --prefix tools/audit --no-audit --no-fund --loglevel=error

audit: install tools/audit/node_modules/.package-lock.json
	$(BIN)/python tools/audit.py

clean:
	rm -rf $(VENV) build dist *.egg-info plugins/*/build plugins/*/*.egg-info
