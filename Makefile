# The two commands of the README: `make serve` and `make test`.
# Everything is installed into .venv as ordinary pip installs: the core, then every
# package under plugins/ (found by the portal only through their entry points).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard plugins/*/setup.py)))
SOURCES := setup.py MANIFEST.in $(shell find portal plugins -type f \( -name '*.py' -o -name '*.md' -o -name '*.jinja2' -o -name '*.css' -o -name '*.js' -o -name '*.in' \) -not -path '*/build/*' 2>/dev/null)

.PHONY: serve test install install-test db bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

$(VENV)/.installed-serve: $(BIN)/python $(SOURCES)
	$(BIN)/pip install --quiet ".[dev,postgresql]" $(PLUGINS)
	touch $@

$(VENV)/.installed-test: $(BIN)/python $(SOURCES)
	$(BIN)/pip install --quiet ".[testing,dev,postgresql]" $(PLUGINS)
	touch $@ $(VENV)/.installed-serve

# axe-core for the browser tests' accessibility checks (tests/browser), from the npm
# registry at the version package-lock.json pins. Without npm those checks skip (or fail in CI).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is not installed: the accessibility checks of tests/browser will not run"; fi

install: $(VENV)/.installed-serve
install-test: $(VENV)/.installed-test node_modules/.package-lock.json

db: install
	mkdir -p var
	$(BIN)/portal db upgrade development.ini

serve: db
	$(BIN)/pserve development.ini

test: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

# The benchmark (bench/run.py): wrk from Debian when it can be installed, else bench/load.py.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get install -y -q wrk >/dev/null; } || echo "wrk is not installed: bench/load.py generates the load"
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info plugins/*/build plugins/*/*.egg-info
