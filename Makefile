# connect-zendesk — every target creates or reuses .venv itself; `make help` lists them.
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REGION ?= us-east-1
FN ?= caller_lookup
EVENT ?= events/$(FN)/known_caller.json
STACK ?= connect-zendesk
# The nested applications template.yaml deploys (generated: `make stacks`); lint and checkov read them too.
NESTED_STACKS := $(sort $(wildcard stacks/*.yaml))

# sam build without Docker needs a working Python 3.13 on PATH: pyenv's install first (its shim may
# exist without being active), else any python3.13 that runs.
PY313_BIN := $(shell for d in $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.13*/bin 2>/dev/null | sort -rV) \
	$$(dirname "$$(command -v python3.13 2>/dev/null)" 2>/dev/null); do \
	"$$d/python3.13" --version >/dev/null 2>&1 && { echo "$$d"; break; }; done)
HAVE_DOCKER := $(shell docker info >/dev/null 2>&1 && echo yes)

.PHONY: help setup app demo panel history report test unit integration e2e lint format build invoke bench chaos deploy clean bot flows flows-template views-template stacks

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,report]'
	@touch $(STAMP)

# checkov pins boto3 1.35 (the project tests with 1.43): it lives in a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
$(CHECKOV_STAMP): tools/checkov/requirements.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r tools/checkov/requirements.txt
	@touch $(CHECKOV_STAMP)

setup: $(STAMP) $(CHECKOV_STAMP) ## create .venv (and .venv-checkov) with the project and its dev tools (idempotent)

demo: setup ## play a whole call on the embedded local stack (no AWS account, no Docker)
	$(BIN)/python -m connect_zendesk_local.demo

# The Zendesk app's build: node_modules from panel/package-lock.json (npm ci), then esbuild bundles the
# pinned amazon-connect-streams and the top bar into panel/assets/ (built files are not committed).
APP_MODULES := panel/node_modules/.package-lock.json
APP_BUILT := panel/assets/topbar.js panel/assets/vendor/connect-streams.js
$(APP_MODULES): panel/package.json panel/package-lock.json
	cd panel && npm ci --no-audit --no-fund --loglevel=error
$(APP_BUILT) &: $(APP_MODULES) panel/build.mjs $(wildcard panel/src/*.js) $(wildcard panel/translations/*.json)
	cd panel && node build.mjs

app: $(APP_BUILT) ## build the Zendesk app (top bar softphone and its Streams bundle) into panel/assets/ (node, npm)

panel: setup app ## serve the agent side panel on the local stack and play a call to watch live (PORT=8088)
	$(BIN)/python -m connect_zendesk_local.panel_server --port $(or $(PORT),8088)

history: setup ## play past calls through the post-call path on the local stack into .local-stack/analytics (CALLS=300, DAYS=28)
	$(BIN)/python -m connect_zendesk_local.history $(if $(CALLS),--calls $(CALLS)) $(if $(DAYS),--days $(DAYS))

report: setup ## the analytics charts as one HTML page (FROM=, TO= YYYY-MM-DD, OUT=build/report.html, ATHENA=workgroup, DATABASE=)
	$(BIN)/python -m connect_zendesk_local.report $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) \
		$(if $(OUT),--out $(OUT)) $(if $(ATHENA),--athena $(ATHENA)) $(if $(DATABASE),--database $(DATABASE)) $(ARGS)

test: setup lint ## lint, then unit, integration and e2e tests with branch coverage
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest tests
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

unit: setup ## unit tests only (fast, no sockets)
	$(BIN)/pytest tests/unit

lint: setup ## ruff (with its security rules), mypy, cfn-lint with the project rules, sam validate --lint, checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml $(NESTED_STACKS)
	@# sam validate --lint reads only the template it is given, not the nested applications' files.
	@for t in template.yaml $(NESTED_STACKS); do \
		echo "sam validate --lint $$t"; $(BIN)/sam validate --lint --region $(REGION) --template-file $$t || exit 1; done
	$(CHECKOV_VENV)/bin/checkov --config-file tools/checkov/config.yaml

bot: setup ## regenerate stacks/self_service_bot.yaml from intents, catalogues and utterances
	$(BIN)/python -m lex_bot

flows: setup ## render flows/ with a deployed stack's ARNs into build/flows/ and validate them (STACK=, REGION=, ARGS="--set Name=arn")
	$(BIN)/python -m contact_flows render --stack $(STACK) --region $(REGION) $(ARGS)

flows-template: setup ## regenerate stacks/contact_flows.yaml from flows/*.json
	$(BIN)/python -m contact_flows sync

views-template: setup ## regenerate stacks/analytics_views.yaml (the Athena views) from analytics/ SQL
	$(BIN)/python -m stack_writer.analytics_views

stacks: bot flows-template views-template ## regenerate every generated nested stack in stacks/

format: setup ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

build: setup ## sam build (Python 3.13 from PATH/pyenv; --use-container only where Docker runs)
	@if [ -n "$(PY313_BIN)" ]; then \
		echo "sam build with $(PY313_BIN)/python3.13"; \
		PATH="$(PY313_BIN):$$PATH" $(BIN)/sam build --template-file template.yaml; \
	elif [ -n "$(HAVE_DOCKER)" ]; then \
		$(BIN)/sam build --template-file template.yaml --use-container; \
	else \
		echo "sam build needs python3.13 on PATH (pyenv install 3.13) or a running Docker engine" >&2; exit 1; \
	fi

invoke: setup ## run one function on the local stack: make invoke FN=caller_lookup EVENT=events/caller_lookup/known_caller.json
	@$(BIN)/python -m connect_zendesk_local.invoke $(FN) $(EVENT)

bench: setup ## benchmarks in bench/, reported as ratios against baselines measured in the same run
	$(BIN)/python -m bench

chaos: setup ## 500 concurrent contacts on the local stack under Zendesk and DynamoDB faults; asserts (CONTACTS=, WORKERS=, SEED=)
	$(BIN)/python -m connect_zendesk_local.chaos $(if $(CONTACTS),--contacts $(CONTACTS)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(SEED),--seed $(SEED))

deploy: build ## sam deploy (uses samconfig.toml; add ARGS=--guided the first time)
	$(BIN)/sam deploy --template-file .aws-sam/build/template.yaml $(ARGS)

clean: ## remove build output, caches and the virtual environment
	rm -rf .aws-sam $(VENV) $(CHECKOV_VENV) .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache *.egg-info
