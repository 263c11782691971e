# Every target creates or reuses .venv/ and needs nothing but Python 3.11 and, for the tests,
# the system's PostgreSQL and Redis.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Every dependency, transitive ones included, pinned with its hashes (make lock); pip refuses
# anything whose hash is not in the lock.
LOCK := requirements-dev.lock
PIP_LOCK := requirements-pip.lock
STAMP := $(VENV)/.installed-$(shell cat $(PIP_LOCK) $(LOCK) | sha1sum | cut -c1-12)

# The tests' PostgreSQL and Redis; pytest-django creates and drops its own test database.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/therapy
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: venv demo test lint bench lock audit clean

$(STAMP): $(PIP_LOCK) $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(PIP_LOCK)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

# Resolve pyproject.toml's dependencies again into the two lock files: requirements.lock for
# the production image, requirements-dev.lock (the same, plus the tools) for everything here.
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet --custom-compile-command "make lock"
lock: venv
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -o requirements-dev.lock

# Known vulnerabilities in the locked dependencies, from PyPI's advisory database (or osv.dev:
# make audit AUDIT_SERVICE=osv). It needs that service to answer, so it is not part of
# make test; --strict fails the audit when any package could not be checked.
AUDIT_SERVICE ?= pypi
audit: venv
	$(VENV)/bin/pip-audit --disable-pip --require-hashes --strict --progress-spinner off \
		--vulnerability-service $(AUDIT_SERVICE) -r requirements-pip.lock -r requirements.lock -r requirements-dev.lock

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
