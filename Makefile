# Storyline: `make demo` and `make test` set everything up on a fresh machine.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install demo test test-fast test-sqlite test-postgresql lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Import the bundled sample corpus into the default database, cluster it into stories,
## write their summaries, show what came in, then serve the reader at
## http://127.0.0.1:8000 (Ctrl-C stops it). Works offline.
demo: install
	$(BIN)/storyline db migrate
	$(BIN)/storyline import --sample
	$(BIN)/storyline cluster
	$(BIN)/storyline write
	$(BIN)/storyline stories list --limit 15
	@echo "Database: $$($(BIN)/storyline db path)"
	$(BIN)/storyline serve --host 127.0.0.1 --port 8000

## Every test: lint, then the suite on SQLite, then the database tests on PostgreSQL.
test: install lint test-sqlite test-postgresql

## The SQLite suite without the slow tests (quality gates, long end-to-end runs).
test-fast: install
	$(BIN)/python -m pytest -q -n 2 --dist worksteal -m "not slow" $(PYTEST_ARGS)

test-sqlite: install
	$(BIN)/python -m pytest -q -n 2 --dist worksteal $(PYTEST_ARGS)

test-postgresql: install
	$(BIN)/python -m pytest -q -n 2 --dist worksteal --backend postgresql $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check storyline tests bench tools
	$(BIN)/mypy storyline
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_embed.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_write.py
	$(BIN)/python bench/bench_web.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
