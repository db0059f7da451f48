# Dependable Call Exchange — developer commands. `make dev` and `make test` work on a fresh clone.
SHELL := /bin/bash
PY_BOOT ?= $(shell for p in $$(command -v python3.12 2>/dev/null) $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test lint fmt typecheck unit e2e synth bench bench-ws pr clean openapi openapi-check audit bandit

$(STAMP): pyproject.toml
	@test -n "$(PY_BOOT)" || { echo "Python 3.12 is required (Lambda's runtime); install it (e.g. pyenv install 3.12)"; exit 1; }
	test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the local exchange: embedded AWS emulation (moto) + local API gateway on 127.0.0.1:8080
dev: $(STAMP)
	$(PY) -m local

## Run the whole test suite (what CI runs)
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m dce.api.openapi --check
	$(MAKE) --no-print-directory bandit
	$(PY) -m pytest -n 2 -q

## api/openapi.yaml from the Powertools routers and ROUTES: write it, or fail when the committed one is stale
openapi: $(STAMP)
	$(PY) -m dce.api.openapi

openapi-check: $(STAMP)
	$(PY) -m dce.api.openapi --check

## Static analysis of our code (medium or high severity fails); part of `make test`
bandit: $(STAMP)
	$(PY) -m bandit -q -r -ll layers/shared/python/dce functions local infra

## Supply chain: bandit, then known vulnerabilities of the installed packages (needs PyPI's JSON API; not in CI)
audit: bandit
	$(PY) -m pip_audit --progress-spinner off --strict --skip-editable

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

e2e: $(STAMP)
	$(PY) -m pytest -q tests/e2e

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck: $(STAMP)
	$(PY) -m mypy

## Benchmarks (not part of `make test`): print numbers, never assert on time
bench: $(STAMP)
	$(PY) benchmarks/marketplace.py
	$(PY) benchmarks/cold_start.py
	$(PY) benchmarks/compliance_check.py

## WebSocket load: 1,000 connections x 100 ping/pong on a local exchange, and event delivery latency
bench-ws: $(STAMP)
	$(PY) benchmarks/websocket_load.py

synth: $(STAMP)
	npx --yes aws-cdk@2 synth -c env=$${ENV:-dev} --quiet

pr: test

clean:
	rm -rf $(VENV) cdk.out .build .pytest_cache .mypy_cache .ruff_cache
