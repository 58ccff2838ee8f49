# The user's door: `make run` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench config docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# An editable install in strict mode: the default mode hides twisted/plugins from twistd in this
# flat layout. Re-run every time, so new modules and entry points are picked up (it is quick).
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-build-isolation -e '.[dev]' --config-settings editable_mode=strict
	$(BIN)/python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"

run: install
	$(BIN)/twistd --nodaemon --pidfile= exchangesim --config etc/sim.ini

# The browser tests drive Debian's chromium (Playwright comes with the dev extras, never its own browsers).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	elif command -v sudo >/dev/null; then sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "the browser tests need Debian's chromium at $(CHROMIUM): run 'apt-get install chromium' as root" >&2; exit 1; fi

test: install $(CHROMIUM)
	$(BIN)/python -m pytest
	$(BIN)/python -m twisted.trial tests

lint: install
	$(BIN)/ruff check exchangesim tests bench twisted
	$(BIN)/ruff format --check exchangesim tests bench twisted

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/journal.py
	$(BIN)/python bench/rest.py
	$(BIN)/python bench/ws.py
	$(BIN)/python bench/marketdata.py
	$(BIN)/python bench/faults.py

# Regenerate etc/sim.ini from the package's defaults (a test checks they agree).
config: install
	$(BIN)/python -m exchangesim.config > etc/sim.ini

# Regenerate REST_API.md from the OpenAPI document (a test checks they agree).
docs: install
	$(BIN)/python -c "from exchangesim.api.native.openapi_markdown import render_markdown; print(render_markdown(), end='')" > REST_API.md
