# Every target creates or reuses .venv/ and needs nothing but Python 3.11 and, for the tests,
# the system's PostgreSQL and Redis.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

# The tests' PostgreSQL and Redis; pytest-django creates and drops its own test database.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/therapy
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: venv demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

demo: venv
	bin/demo

lint: venv
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

# axe-core, injected into pages by the browser tests, comes from the npm registry.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

test: venv
	bin/ensure-test-services
	$(MAKE) --no-print-directory node_modules/.installed
	$(MAKE) --no-print-directory lint
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m pytest

bench: venv
	bin/ensure-test-services --no-browser
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m bench

clean:
	rm -rf var .pytest_cache .hypothesis
