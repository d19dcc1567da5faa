# storedesk: `make demo` runs the product, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup demo test lint test-sqlite test-postgres browser-deps clean

$(BIN)/storedesk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(BIN)/storedesk

demo: setup
	$(BIN)/storedesk demo

browser-deps:
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-dovecot.sh

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# The whole suite on the embedded database (SQLite), then again on PostgreSQL.
test-sqlite: setup
	STOREDESK_TEST_REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest

test-postgres: setup
	@if $(BIN)/python scripts/check_service.py postgres "$(PG_TEST_URL)"; then \
		STOREDESK_DATABASE_URL=$(PG_TEST_URL) STOREDESK_TEST_REDIS_URL=$(REDIS_TEST_URL) \
			$(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "FAIL: PostgreSQL is required in CI and is unreachable at $(PG_TEST_URL)" >&2; exit 1; \
	else \
		echo "WARNING: PostgreSQL unreachable at $(PG_TEST_URL): the PostgreSQL pass was SKIPPED"; \
	fi

test: setup browser-deps lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) var
