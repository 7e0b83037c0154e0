# The two commands: `make run` (the whole service on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
GATEWAY := docker/gateway
export GOVGRAPH_DATA ?= ./var

.PHONY: run test lint clean gateway web-client

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $@ $(VENV)/.installed-run

# The database is brought to the latest migration first (a no-op when it is there already).
run: $(VENV)/.installed-run
	$(BIN)/govgraph db upgrade
	$(BIN)/govgraph serve

# Hive Gateway for the federation tests, from the committed lockfile; re-installed when the lockfile changes.
# Without Node the real-gateway tests skip (and fail under CI=true, where .ci/run installs it first).
$(GATEWAY)/node_modules/.package-lock.json: $(GATEWAY)/package-lock.json
	npm ci --prefix $(GATEWAY) --no-audit --no-fund

gateway:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(GATEWAY)/node_modules/.package-lock.json; \
	else echo "node not found: the Hive Gateway tests will be skipped"; fi

# The typed client example's packages (GraphQL Code Generator, TypeScript), from its committed lockfile; without
# Node tests/examples skips (and fails under CI=true, where .ci/run installs them first).
WEB_CLIENT := examples/web-client
$(WEB_CLIENT)/node_modules/.package-lock.json: $(WEB_CLIENT)/package-lock.json
	npm ci --prefix $(WEB_CLIENT) --no-audit --no-fund

web-client:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(WEB_CLIENT)/node_modules/.package-lock.json; \
	else echo "node not found: the web client tests will be skipped"; fi

# One formatter and linter (ruff, configured in pyproject.toml): `make test` fails on either.
lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

test: lint gateway web-client
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
