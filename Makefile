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

.PHONY: help install lint typecheck test test-fast bench demo replay api invoke train-bias \
        pg-start pg-stop sam-validate sam-build clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with dev tools

lint: install ## ruff (style, imports, bugbear)
	$(BIN)/ruff check shared functions tests benchmarks scripts
	$(BIN)/ruff format --check shared functions tests benchmarks scripts

typecheck: install ## mypy --strict on shared/ and functions/
	$(BIN)/mypy shared/llm_advisor functions

test: install pg-start ## Everything: lint, types, unit, contract, integration, e2e (starts PostgreSQL)
	$(MAKE) --no-print-directory lint typecheck
	$(MAKE) --no-print-directory sam-validate
	LLM_ADVISOR_PG_URL=$$(bash scripts/pg.sh url) $(BIN)/pytest -n 2 tests

test-fast: install ## Unit tests only (no PostgreSQL, no browser)
	$(BIN)/pytest -n 2 tests -m "not postgres and not browser and not slow"

bench: install pg-start ## Print performance figures (replay, storage, API, LLM tokens)
	LLM_ADVISOR_PG_URL=$$(bash scripts/pg.sh url) $(PYTHON) -m benchmarks

demo: install ## A simulated day/week on embedded defaults (no keys, no Docker, no network)
	$(PYTHON) -m llm_advisor demo

replay: install ## Replay real bars: make replay ARGS="--bars-dir ../shared/data/bars_1m --symbols SPY ..."
	$(PYTHON) -m llm_advisor replay $(ARGS)

train-bias: install ## Train and evaluate the daily bias model on ../shared/data/daily
	$(PYTHON) -m llm_advisor train-bias --daily-dir $(SHARED)/data/daily

api: install ## Serve the portfolio API on http://127.0.0.1:$(PORT) over the local database
	$(PYTHON) -m llm_advisor api --port $(PORT)

invoke: install ## Run one handler in-process: make invoke FN=live_tick EVENT=events/live_tick.json
	$(PYTHON) scripts/invoke.py $(FN) $(EVENT)

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
