# `make run` and `make test` work on a fresh machine: they install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test install install-dev lint test-python test-sqlite test-extensions worker bench screenshots clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

extensions/node_modules/.installed: extensions/package.json extensions/package-lock.json
	cd extensions && npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## run: migrate, then serve the app on 127.0.0.1:$PORT with one worker (sandbox without Shopify keys)
run: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/python -m app.devserver

worker: install
	$(BIN)/flask --app app worker

## test: lint, Python tests on PostgreSQL, data tests again on SQLite, extension tests (Vitest + Chromium)
test: lint test-python test-sqlite test-extensions

lint: install-dev
	$(BIN)/ruff check .

# The admin pages' browser tests drive Chromium through the extensions' playwright-core and axe-core.
test-python: install-dev extensions/node_modules/.installed $(CHROMIUM)
	CHROMIUM_PATH=$(CHROMIUM) $(BIN)/python -m pytest

test-sqlite: install-dev extensions/node_modules/.installed $(CHROMIUM)
	CHROMIUM_PATH=$(CHROMIUM) RINGBACK_TEST_DB=sqlite $(BIN)/python -m pytest -m data -q

## screenshots: the admin pages' screenshots in docs/screenshots/, taken again from seeded data
screenshots: install-dev extensions/node_modules/.installed $(CHROMIUM)
	CHROMIUM_PATH=$(CHROMIUM) RINGBACK_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/dashboard/test_browser.py

$(CHROMIUM):
	@if [ "$$(id -u)" = "0" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is needed for the browser tests: sudo apt-get install chromium" >&2; exit 1; \
	fi

test-extensions: extensions/node_modules/.installed $(CHROMIUM)
	cd extensions && CHROMIUM_PATH=$(CHROMIUM) npm test

bench: install-dev
	$(BIN)/python bench/scheduling_lateness.py
	$(BIN)/python bench/voice_turn.py
	$(BIN)/python bench/webhook_ingest.py
	$(BIN)/python bench/shop_redact.py --rows 200000
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) extensions/node_modules instance
