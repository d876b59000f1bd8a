# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= data/ocf.db
PORT ?= 8501
# Loopback only: to serve on a network, see docs/deployment.md (TLS proxy, real database, sign-in).
ADDRESS ?= 127.0.0.1
# More `streamlit run` options for `make run`, e.g. ARGS="--server.fileWatcherType auto" to
# reload pages on edit (off by default: .streamlit/config.toml says why).
ARGS ?=
# Keep freed memory for reuse (ocf/memory.py, TUNABLES): glibc reads it when the app starts.
TUNABLES := glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=16777216

.PHONY: run test lint format install demo clean browser bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

## Start the app on $(ADDRESS):$(PORT) (this computer only), seeding the demo database when there is none.
run: $(STAMP)
	@if [ ! -f "$(DB)" ]; then $(BIN)/ocf demo --db "$(DB)"; fi
	OCF_DB="$(DB)" GLIBC_TUNABLES="$(TUNABLES)" $(BIN)/streamlit run streamlit_app.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true --browser.gatherUsageStats false $(ARGS)

## Debian's chromium for the browser tests (test tools cannot download browsers here).
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
			|| echo "WARNING: chromium could not be installed: the browser tests will be SKIPPED"; \
	else \
		echo "WARNING: chromium is missing and cannot be installed here (needs root and apt-get):"; \
		echo "WARNING: the browser tests will be SKIPPED"; \
	fi

## Run lint, type checks and every test, browser tests included.
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## Benchmarks at national scale; results are written to BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: $(STAMP)
	$(BIN)/ocf demo --db "$(DB)" --force

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
