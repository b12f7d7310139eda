# The two commands at the top of README.md: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install install-dev test-tools lint replay-assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installing again only when pyproject.toml changed (a stamp file a set of dependencies).
install: $(STAMP)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

install-dev: $(STAMP)-dev
$(STAMP)-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(STAMP)

## Installs the site (once), migrates the SQLite database, loads the seed into an empty
## archive (never over editors' changes) and serves on 127.0.0.1:$(PORT) (8000 unless
## `make run PORT=8102`).
PORT ?= 8000
run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_seed
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## What the browser, validity, translation and shared-cache tests need: Debian's Chromium,
## gettext (makemessages runs xgettext) and redis-server, Java, the npm checkers.
## --ignore-scripts: the MDN HTTP Observatory's install scripts download the HSTS preload and
## TLD lists, which the command-line scan does not use; it only needs its
## conf/hsts-preload.json to exist (an empty list).
test-tools:
	@command -v /usr/bin/chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium)" >&2; exit 1; fi; }
	@command -v xgettext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext; \
	  else echo "Install Debian's gettext package (sudo apt-get install gettext)" >&2; exit 1; fi; }
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server; \
	  else echo "Install Debian's redis-server package (sudo apt-get install redis-server)" >&2; exit 1; fi; }
	npm install --no-audit --no-fund --silent --ignore-scripts
	@test -f node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json || \
	  echo '{}' > node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json

## Installs the test dependencies and runs every test, spread over one worker process per core
## (pytest-xdist). --maxschedchunk 1: after a first share, each worker takes the next test in
## pytest-django's order one at a time, so the long fuzz tests are not queued behind each
## other on one worker while the other idles, and each worker still runs every transactional
## test (live server, browser) after its other database tests: a transactional test empties
## the tables at its end, the editor groups a migration made included, which --dist worksteal
## broke by moving tests between queues. pyproject.toml adds -ra, the summary of skips.
test: install-dev test-tools
	$(BIN)/pytest -n auto --maxschedchunk 1

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## ReplayWeb.page's two scripts, vendored into static/replay/ (the image's build runs no npm):
## copies ui.js, sw.js and the licence from node_modules at the version package.json pins,
## and writes NOTICE.txt. To update: change the version in package.json, `npm install`, then
## `make replay-assets`; tests/test_replay.py checks the copies match node_modules.
REPLAY := node_modules/replaywebpage
replay-assets:
	npm install --no-audit --no-fund --silent --ignore-scripts
	mkdir -p static/replay
	cp $(REPLAY)/ui.js $(REPLAY)/sw.js static/replay/
	cp $(REPLAY)/LICENSE static/replay/LICENSE.txt
	printf '%s\n' \
	  "ReplayWeb.page $$(node -p 'require("./$(REPLAY)/package.json").version') (npm package replaywebpage)," \
	  "by Webrecorder Software, https://github.com/webrecorder/replayweb.page" \
	  "Licence: AGPL-3.0-or-later; the full text is LICENSE.txt beside this file." \
	  "ui.js and sw.js are the package's own files, unmodified; their source is the" \
	  "package's repository at the tag of this version." > static/replay/NOTICE.txt
