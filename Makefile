# Everything a fresh machine with Python 3.10+ needs: each target builds its own virtualenv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
FUZZ_ARGS ?= --max-examples 5 --max-time 60

.PHONY: demo test test-services test-browser screenshots downstream fuzz lint docs bench clean

$(VENV)/.installed: setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

## demo: run the demo site offline (fake ESI + fake SSO), then open the URL it prints
demo: $(VENV)/.installed
	$(PY) -m demo

## test: run the test suite (SQLite + local-memory cache)
test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

## test-services: the suite against PostgreSQL and Redis on 127.0.0.1, the fake ESI as a loopback server
test-services: $(VENV)/.installed
	ESI_TEST_DATABASE=postgres ESI_TEST_CACHE=redis ESI_FAKE_MODE=server $(PY) -m pytest $(PYTEST_ARGS)

## test-browser: walk the demo in headless Chromium (Debian's chromium package); screenshots go to build/screenshots/
test-browser: $(VENV)/.installed
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

## screenshots: the browser walk, then its screenshots replace the docs' tracked copies in docs/screenshots/
screenshots: test-browser
	cp build/screenshots/*.png docs/screenshots/

## downstream: allianceauth-app-utils' own suite with this package in place of django-esi (registry, Redis; minutes)
downstream: $(VENV)/.installed
	$(PY) tests/downstream/run_app_utils.py $(DOWNSTREAM_ARGS)

## fuzz: schemathesis against the fake ESI on 127.0.0.1 (Swagger latest + one OpenAPI date, a few minutes; not in `make test`)
fuzz: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[fuzz]"
	$(PY) tests/fuzz/fuzz_fake.py $(FUZZ_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m django makemigrations esi --check --dry-run

docs: $(VENV)/.installed
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

## bench: every benchmark against its floor of the same run, one table (minutes; see bench/README.md)
bench: $(VENV)/.installed
	$(PY) bench/table.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build
