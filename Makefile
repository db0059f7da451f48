# Dependable Call Exchange — developer commands. `make dev` and `make test` work on a fresh clone.
SHELL := /bin/bash
PY_BOOT ?= $(shell for p in $$(command -v python3.12 2>/dev/null) $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: checkov openapi-client diff diff-offline
.PHONY: dev dev-reset test lint fmt typecheck unit e2e synth bench bench-ws bench-abuse pr clean openapi openapi-check audit bandit

$(STAMP): pyproject.toml
	@test -n "$(PY_BOOT)" || { echo "Python 3.12 is required (Lambda's runtime); install it (e.g. pyenv install 3.12)"; exit 1; }
	@echo "Installing the dependencies into $(VENV) (about 1-2 minutes on the first run: ~1 GB)..."
	test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install --progress-bar on -e '.[dev]'
	$(PY) -m pip install -q -e clients/python
	touch $(STAMP)
	@echo "Dependencies installed."

install: $(STAMP)

## Start the local exchange: embedded AWS emulation (moto) + local API gateway on 127.0.0.1:8080.
## Its DynamoDB state is kept in .dce/state/ (DCE_STATE_DIR) and restored at the next start.
dev: $(STAMP)
	$(PY) -m local

## Discard the kept state (.dce/state/: accounts, calls, balances, the signing key) and start empty
dev-reset: $(STAMP)
	DCE_FRESH=1 $(PY) -m local

## checkov, the second opinion beside cdk-nag on every template (tests/infra/test_cli_synth.py), in a virtualenv
## of its own: it pins boto3 and others far below the project's pins.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
$(CHECKOV_STAMP):
	@test -n "$(PY_BOOT)" || { echo "Python 3.12 is required (Lambda's runtime); install it (e.g. pyenv install 3.12)"; exit 1; }
	@echo "Installing checkov $(CHECKOV_VERSION) into $(CHECKOV_VENV) (once, about 40 s)..."
	rm -rf $(CHECKOV_VENV)
	$(PY_BOOT) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

checkov: $(CHECKOV_STAMP)

## openapi-python-client, the SDK generator the document is checked against (tests/contract/test_generated_client.py),
## in a virtualenv of its own like checkov: its dependencies (httpx, pydantic, ruff, ...) follow its own pins.
OPENAPI_CLIENT_VERSION := 0.29.1
OPENAPI_CLIENT_VENV := .venv-openapi-client
OPENAPI_CLIENT_STAMP := $(OPENAPI_CLIENT_VENV)/.installed-$(OPENAPI_CLIENT_VERSION)
$(OPENAPI_CLIENT_STAMP):
	@test -n "$(PY_BOOT)" || { echo "Python 3.12 is required (Lambda's runtime); install it (e.g. pyenv install 3.12)"; exit 1; }
	@echo "Installing openapi-python-client $(OPENAPI_CLIENT_VERSION) into $(OPENAPI_CLIENT_VENV) (once, about 10 s)..."
	rm -rf $(OPENAPI_CLIENT_VENV)
	$(PY_BOOT) -m venv $(OPENAPI_CLIENT_VENV)
	$(OPENAPI_CLIENT_VENV)/bin/python -m pip install -q --disable-pip-version-check openapi-python-client==$(OPENAPI_CLIENT_VERSION)
	touch $@

openapi-client: $(OPENAPI_CLIENT_STAMP)

## Run the whole test suite (what CI runs)
test: $(STAMP) $(CHECKOV_STAMP) $(OPENAPI_CLIENT_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m dce.api.openapi --check
	$(MAKE) --no-print-directory bandit
	$(PY) -m pytest -n 2 --dist worksteal -q

## api/openapi.yaml from the Powertools routers and ROUTES: write it, or fail when the committed one is stale
openapi: $(STAMP)
	$(PY) -m dce.api.openapi

openapi-check: $(STAMP)
	$(PY) -m dce.api.openapi --check

## Static analysis of our code (medium or high severity fails); part of `make test`
bandit: $(STAMP)
	$(PY) -m bandit -q -r -ll layers/shared/python/dce functions local infra

## Supply chain: bandit, then known vulnerabilities of the installed packages. pip-audit needs PyPI's
## vulnerability API (or OSV), which the sandboxed CI (.ci/run) cannot reach: it is not part of `make test`
## and runs in GitHub Actions' `supply-chain` job (.github/workflows/ci.yml) instead.
audit: bandit
	$(PY) -m pip_audit --progress-spinner off --strict --skip-editable

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

## End-to-end suite: against a local exchange it starts itself, or `make e2e BASE_URL=https://.../dev/api/v1`
## (a deployed stage or LocalStack; WS_URL=wss://... for the events tests). Against a remote stage, tests
## marked `local_only` (pinned clock, test-only limits, the test JWT key, the local @connections API) are
## deselected; set DCE_E2E_ADMIN_EMAIL / DCE_E2E_ADMIN_PASSWORD to the stage's admin. Outside the stage's
## TCPA window (08:00-21:00 New York) add E2E_MARKERS="not local_only and not business_hours".
E2E_MARKERS ?= not local_only
e2e: $(STAMP)
	$(if $(BASE_URL),DCE_BASE_URL=$(BASE_URL) $(if $(WS_URL),DCE_WS_URL=$(WS_URL)) $(PY) -m pytest -q -n 0 -m "$(E2E_MARKERS)" tests/e2e,$(PY) -m pytest -q tests/e2e)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck: $(STAMP)
	$(PY) -m mypy

## Benchmarks (not part of `make test`): print numbers, write benchmarks/results/*.json + a PNG, never assert on time
bench: $(STAMP)
	$(PY) benchmarks/marketplace.py
	$(PY) benchmarks/micro.py
	$(PY) benchmarks/request_cost.py
	$(PY) benchmarks/cold_start.py
	$(PY) benchmarks/compliance_check.py
	$(PY) -m benchmarks.load
	$(PY) benchmarks/chart.py

## Fair use under attack: each attack beside a victim client on a local exchange (victim p99 with/without,
## goal <= 2.0); writes benchmarks/results/abuse.json and prints the table of docs/performance.md (~6 min)
bench-abuse: $(STAMP)
	$(PY) benchmarks/abuse.py

## WebSocket load: 1,000 connections x 100 ping/pong on a local exchange, and event delivery latency
bench-ws: $(STAMP)
	$(PY) benchmarks/websocket_load.py

## cdk synth of one environment (ENV=dev|staging|prod) with the deployable layer; cdk-nag runs in the app
synth: $(STAMP)
	npx --yes aws-cdk@2 synth -c env=$${ENV:-dev} --quiet

## What a deploy of ENV would change in the stack deployed in your AWS account (needs AWS credentials)
diff: $(STAMP)
	npx --yes aws-cdk@2 diff -c env=$${ENV:-dev}

## Everything ENV's stack would create, with no AWS account at hand: the diff against an empty template
diff-offline: $(STAMP)
	@mkdir -p .build && echo '{}' > .build/empty-template.json
	npx --yes aws-cdk@2 diff -c env=$${ENV:-dev} --template .build/empty-template.json

.PHONY: cdk-check localstack-deploy
## The deploy checks alone (they also run in `make test`): synth of every environment with cdk-nag's
## AwsSolutions rules, cfn-lint on each template, the IAM/alarm assertions and the layer import check
cdk-check: $(STAMP) $(CHECKOV_STAMP)
	$(PY) -m pytest -q -n 2 tests/infra

## Optional: deploy ENV (default dev) to a running LocalStack (needs Docker; `localstack start` first).
## cdklocal (npm aws-cdk-local) points the CDK CLI at LOCALSTACK_ENDPOINT; then `make e2e BASE_URL=<ApiUrl>`.
LOCALSTACK_ENDPOINT ?= http://localhost:4566
localstack-deploy: $(STAMP)
	AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT) AWS_ENDPOINT_URL_S3=$(LOCALSTACK_ENDPOINT) \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
	npx --yes --package aws-cdk-local@3 --package aws-cdk@2 -- cdklocal bootstrap -c env=$${ENV:-dev}
	AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT) AWS_ENDPOINT_URL_S3=$(LOCALSTACK_ENDPOINT) \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
	npx --yes --package aws-cdk-local@3 --package aws-cdk@2 -- cdklocal deploy -c env=$${ENV:-dev} \
		--require-approval never --outputs-file cdk.out/localstack-outputs.json
	@echo "API: $$(python3 -c 'import json; o=json.load(open("cdk.out/localstack-outputs.json")); print(next(iter(o.values()))["ApiUrl"])')"

pr: test

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(OPENAPI_CLIENT_VENV) cdk.out .build .pytest_cache .mypy_cache .ruff_cache

.PHONY: docs-check
## The API reference (GET /api/v1/docs) in headless Chromium on a local exchange: a screenshot
## (benchmarks/results/api-docs.png) and a check of the rendered page. Needs /usr/bin/chromium
## (`apt-get install chromium`); not part of `make test`.
docs-check: $(STAMP)
	$(PY) scripts/docs_screenshot.py
