# vinhdanh: `make run` sets up and serves the whole product on SQLite; `make test` runs the checks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app webapp
STAMP  := $(VENV)/.installed

.PHONY: run test lint install browser pdf-libs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) pdf-libs

## Set up (venv, schema, demo data, secret key) and serve on http://127.0.0.1:$(PORT), timers firing.
## Without REDIS_URL the scheduler runs the jobs itself; with it, start `rq worker vinhdanh` too.
run: $(STAMP) pdf-libs
	$(FLASK) migrate
	$(FLASK) seed-demo
	$(BIN)/python -m workers.scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) --access-logfile - 'webapp:create_app()'

## Lint and run the whole test suite (SQLite, PostgreSQL, Redis, browser): the in-process tests in $(JOBS)
## pytest-xdist workers, then the browser and system tests alone (they run the product's own processes, and two
## browsers at once gain nothing on two cores), then the route paths, rounds and decisions in $(JOBS) workers with
## every in-process cache dropped before each transaction (as if each step ran in a fresh process)
JOBS ?= 2
test: $(STAMP) browser pdf-libs
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(JOBS) --ignore=tests/e2e --ignore=tests/system
	$(BIN)/python -m pytest tests/e2e tests/system
	$(BIN)/python -m pytest -n $(JOBS) --cold-caches -q tests/workflows/test_route_paths.py tests/workflows/test_any_process.py \
		tests/workflows/test_rounds.py tests/workflows/test_round_quota.py tests/workflows/test_batch_decisions.py

lint: $(STAMP)
	$(BIN)/ruff check .

## Debian's Chromium for the browser tests (Playwright cannot download its own here), and axe-core (package-lock.json)
## for the accessibility tests; npm ci runs again only when the lockfile changed
browser: node_modules/.package-lock.json
	@tools/ensure-chromium.sh

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## Debian's Pango, HarfBuzz and DejaVu fonts for WeasyPrint's PDF documents, poppler-utils for their tests
pdf-libs:
	@tools/ensure-pdf-libs.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
