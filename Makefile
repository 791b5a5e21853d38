# llm-advisor developer commands. Every target installs what it needs into .venv first.
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SHARED ?= ../shared
PORT ?= 8080
FN ?= live_tick
EVENT ?= events/$(FN).json
export PYTHONPATH := $(CURDIR)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install lint typecheck test test-fast bench chaos demo replay api invoke train-bias \
        calendar pg-start pg-stop sam-validate sam-build clean eval-chat browser-deps

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk -v port=$(PORT) 'BEGIN{FS=":.*?## "}{gsub(/\$$\(PORT\)/, port, $$2); printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PYTHON) || $(PY) -m venv $(VENV)
	@echo "Installing llm-advisor and its dev tools into $(VENV) (about 2 minutes the first time)..."
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install --progress-bar on -e '.[dev]'
	@touch $(STAMP)

# The engine's native kernel (engine/native.py): rebuilt when its C source changes.
KERNEL := shared/llm_advisor/engine/_kernel.lib.so
$(KERNEL): shared/llm_advisor/engine/_kernel.c shared/Makefile
	@$(MAKE) --no-print-directory -C shared kernel

install: $(STAMP) $(KERNEL) ## Create .venv and install the package with dev tools (and the engine's C kernel)

calendar: install ## Re-save the XNYS sessions of the installed exchange_calendars (core/xnys_sessions.json)
	$(PYTHON) -m llm_advisor.core.xnys_table

lint: install ## ruff (style, imports, bugbear, clock, SQL) and the pure core's import contract
	$(BIN)/ruff check shared functions tests benchmarks scripts
	$(BIN)/ruff format --check shared functions tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: install ## mypy --strict on shared/ and functions/
	$(BIN)/mypy shared/llm_advisor functions

test: install pg-start browser-deps ## Everything: lint, types, unit, contract, integration, e2e (starts PostgreSQL)
	$(MAKE) --no-print-directory lint typecheck
	$(MAKE) --no-print-directory sam-validate
	LLM_ADVISOR_PG_URL=$$(bash scripts/pg.sh url) $(BIN)/pytest -n 2 tests

# axe-core for the page's accessibility check (tests/api/test_browser_page.py): test-only,
# from npm into tests/api/browser/node_modules (version pinned in its package.json).
AXE := tests/api/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/api/browser/package.json
	@command -v npm >/dev/null || { echo "npm not found: the page's axe check will skip (fail under CI)"; exit 0; }; \
	npm install --prefix tests/api/browser --no-audit --no-fund --no-package-lock --silent && touch $(AXE)

browser-deps: $(AXE) ## axe-core (npm, test-only) for the page's accessibility check

test-fast: install ## Unit tests only (no PostgreSQL, no browser)
	$(BIN)/pytest -n 2 tests -m "not postgres and not browser and not slow"

bench: install pg-start ## Print performance figures (replay, storage, API, LLM tokens)
	LLM_ADVISOR_PG_URL=$$(bash scripts/pg.sh url) $(PYTHON) -m benchmarks

chaos: install ## Chaos experiments on the live path (1-2.5 min): make chaos ARGS="--trials 40 --seed 1"
	$(PYTHON) -m tests.chaos $(ARGS)

eval-chat: install ## Chat accuracy/citations/latency on the demo week and a real-data replay
	$(PYTHON) -m benchmarks.eval_chat $(ARGS)

demo: install ## A simulated day/week on embedded defaults (no keys, no Docker, no network)
	$(PYTHON) -m llm_advisor demo

replay: install ## Replay real bars: make replay ARGS="--bars-dir ../shared/data/bars_1m --symbols SPY ..."
	$(PYTHON) -m llm_advisor replay $(ARGS)

train-bias: install ## Train and evaluate the daily bias model on ../shared/data/daily
	$(PYTHON) -m llm_advisor train-bias --daily-dir $(SHARED)/data/daily

api: install ## Serve the portfolio API on http://127.0.0.1:$(PORT) over the local database
	$(PYTHON) -m llm_advisor api --port $(PORT)

invoke: install ## Run one handler in-process: make invoke FN=live_tick [EVENT=events/...json] [VERBOSE=1]
	$(PYTHON) scripts/invoke.py $(if $(VERBOSE),--verbose) $(FN) $(EVENT)

pg-start: ## Start a throwaway PostgreSQL on loopback (./.pg)
	@bash scripts/pg.sh start

pg-stop: ## Stop it
	@bash scripts/pg.sh stop

sam-validate: ## sam validate --lint and cfn-lint on template.yaml (offline)
	@bash scripts/sam.sh validate

sam-build: ## sam build (no container); prints function and layer sizes
	@bash scripts/sam.sh build

clean: ## Remove build and cache folders
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache out
