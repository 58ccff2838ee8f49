# The user's door: `make run` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# `make run`'s knobs: PORT=9000 listens on 127.0.0.1:9000 (twistd's --listen); CONFIG="a.ini b.ini" layers
# your INI files over etc/sim.ini and etc/demo.ini (later files win); FRESH=1 moves the saved state
# (exchangesim-data/) aside, never deleting it, and starts afresh. `make scenarios` takes PORT too,
# FAULTS=ack-loss (a profile's name or INI file) and ADMIN_TOKEN (etc/demo.ini's by default).
PORT ?=
CONFIG ?=
FRESH ?=
FAULTS ?=
RUN_CONFIGS = etc/sim.ini etc/demo.ini $(CONFIG)
ADMIN_TOKEN ?= $(shell sed -n 's/^admin_token *= *//p' etc/demo.ini)

.PHONY: install run scenarios shell test lint bench config docs client-venvs FORCE

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# The package's files, rewritten only when one is added or removed: a strict editable install links
# each file, so a new module needs the install again (an edited one does not).
SOURCES := $(VENV)/.sources
$(SOURCES): FORCE | $(BIN)/python
	@find exchangesim twisted -name __pycache__ -prune -o -type f ! -name dropin.cache -print \
		| LC_ALL=C sort > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

# `make run` installs once, without the test tools, and again only when setup.cfg, pyproject.toml or
# the package's list of files changed (the stamp file). An editable install in strict mode: the
# default mode hides twisted/plugins from twistd in this flat layout. Then Twisted's plugin cache.
RUN_STAMP := $(VENV)/.installed
$(RUN_STAMP): setup.cfg pyproject.toml $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation -e . --config-settings editable_mode=strict
	$(BIN)/python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"
	@touch $@

# The install with the test and development tools (pytest, playwright, ccxt, ruff, ...), every time.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-build-isolation -e '.[dev]' --config-settings editable_mode=strict
	$(BIN)/python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"
	@$(MAKE) --no-print-directory $(SOURCES) && touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/twistd --nodaemon --pidfile= exchangesim $(addprefix --config ,$(RUN_CONFIGS)) \
		$(if $(PORT),--listen tcp:$(PORT):interface=127.0.0.1) $(if $(filter-out 0 no false,$(FRESH)),--fresh)

# The built-in scenarios against `make run` (started in another terminal).
scenarios: $(RUN_STAMP)
	$(BIN)/python -m exchangesim.client --scenarios --no-browser --base-url http://127.0.0.1:$(or $(PORT),8765) \
		--admin-token '$(ADMIN_TOKEN)' $(if $(FAULTS),--faults $(FAULTS))

# A shell whose python, twistd and exchangesim are the venv's (`exit` leaves it).
shell: $(RUN_STAMP)
	@echo "a shell with $(VENV)/bin first on PATH: python -m exchangesim.client, twistd, exchangesim; exit leaves it"
	@VIRTUAL_ENV="$(CURDIR)/$(VENV)" PATH="$(CURDIR)/$(BIN):$$PATH" $${SHELL:-/bin/sh}

# The browser tests drive Debian's chromium (Playwright comes with the dev extras, never its own
# browsers); the systemd unit's tests run Debian's systemd-analyze.
DEBIAN_TOOLS := /usr/bin/chromium /usr/bin/systemd-analyze
/usr/bin/chromium: PACKAGE := chromium
/usr/bin/systemd-analyze: PACKAGE := systemd

$(DEBIAN_TOOLS):
	@if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(PACKAGE); \
	elif command -v sudo >/dev/null; then sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y $(PACKAGE); \
	else echo "the tests need Debian's $(PACKAGE) for $@: run 'apt-get install $(PACKAGE)' as root" >&2; exit 1; fi

# The Binance client libraries tests/e2e drives, one venv each under .venv-clients/ (binance-connector and
# python-binance both install a top-level `binance` package), pinned by tests/e2e/clients/requirements/;
# a venv is built anew only when its requirements file changes.
CLIENT_VENVS := .venv-clients
CLIENT_STAMPS := $(patsubst tests/e2e/clients/requirements/%.txt,$(CLIENT_VENVS)/%/.installed,\
	$(wildcard tests/e2e/clients/requirements/*.txt))

$(CLIENT_VENVS)/%/.installed: tests/e2e/clients/requirements/%.txt
	rm -rf $(@D)
	$(PYTHON) -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet -r $<
	@touch $@

client-venvs: $(CLIENT_STAMPS)

test: install $(DEBIAN_TOOLS) client-venvs
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2
	$(BIN)/python -m twisted.trial tests

lint: install
	$(BIN)/ruff check exchangesim tests bench twisted
	$(BIN)/ruff format --check exchangesim tests bench twisted
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/journal.py
	$(BIN)/python bench/rest.py
	$(BIN)/python bench/ws.py
	$(BIN)/python bench/wsapi.py
	$(BIN)/python bench/marketdata.py
	$(BIN)/python bench/faults.py

# Regenerate etc/sim.ini from the package's defaults (a test checks they agree).
config: install
	$(BIN)/python -m exchangesim.config > etc/sim.ini

# Regenerate REST_API.md from the OpenAPI document (a test checks they agree).
docs: install
	$(BIN)/python -c "from exchangesim.api.native.openapi_markdown import render_markdown; print(render_markdown(), end='')" > REST_API.md
