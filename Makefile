# The commands a newcomer needs. Everything installs itself on first use into .venv/ (excluded from sam build).
PYTHON_BASE ?= python3
VENV := .venv/app
TOOLS := .venv/tools
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 3000
AWS_PORT ?= 4566
# The emulator serves the stack as a sandbox (ApiAuth=NONE) unless told otherwise: `make run API_AUTH=AWS_IAM`
# refuses unsigned requests as the default stack on AWS does.
API_AUTH ?= NONE
# sam build needs a python3.13 for the Lambda runtime; pyenv provides one on these machines.
SAM_PYENV ?= 3.13.0:3.11.7
export SAM_CLI_TELEMETRY = 0
# Python's bytecode cache on (its default): with PYTHONDONTWRITEBYTECODE set, as on some machines, every process
# (each test worker, each emulator) compiled moto, botocore and the tests again, about half of collecting the tests.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test static lint typecheck unit tests-parallel tests-exclusive template judges checkov docs docs-check generate events browser build deploy bench clean

# Judges we did not write (docs/tests.md "Checked by other engines"):
# - Apache Velocity 1.7, the engine behind API Gateway's mapping templates, renders every template in
#   api/openapi.yaml beside the emulator (tools/vtl-reference/; compiled with javac from the local Maven repo);
# - asl-validator (npm, pinned in tools/asl-validator/package-lock.json) checks every workflow;
# - checkov (pinned in requirements-checkov.txt, its own environment) checks template.yaml.
include tools/vtl-reference/rules.mk
# Installed under .venv/ (which sam build leaves out of the Lambda packages), from the pinned lock file.
ASL_VALIDATOR_DIR := .venv/asl-validator
ASL_VALIDATOR := $(ASL_VALIDATOR_DIR)/node_modules/.bin/asl-validator

# The pinned packages, then the project itself for the `credits` command (.venv/app/bin/credits, docs/cli.md):
# editable, so that it runs the checkout's cli/; no dependencies of its own (pyproject.toml names the command and
# packages cli alone; what it needs is pinned in requirements-dev.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON_BASE) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

$(TOOLS)/.installed: requirements-tools.txt
	$(PYTHON_BASE) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	touch $@

run: $(VENV)/.installed  ## serve the REST API on http://$(HOST):$(PORT) (emulator, in-memory)
	EMULATOR_API_AUTH=$(API_AUTH) $(PY) -m emulator --host $(HOST) --port $(PORT) --aws-port $(AWS_PORT)

# The static checks run beside the first phase of the tests (below), on the core that phase leaves free while its
# tests wait; then the bursts. Each target's output comes out whole, when it ends (--output-sync).
test:  ## every check CI runs
	$(MAKE) --no-print-directory -j2 --output-sync=target static tests-parallel
	$(MAKE) --no-print-directory tests-exclusive

static: lint typecheck template checkov docs-check  ## the static checks alone

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy domain adapters functions emulator bench generate cli

# pytest-xdist runs the tests in two phases, each process with an emulator of its own (they share nothing: every test
# uses fresh org ids):
# - tests-parallel: all but the bursts, on TEST_WORKERS processes. About a third of their time, the tests marked
#   `timed` (faults against the functions' timeouts, workflow retries) wait rather than compute: tests/conftest.py
#   spreads them among the others so that every process has some, and there are more processes than cores so that
#   the cores stay busy meanwhile. What those tests check never depends on the load (a late write waits for its test).
# - tests-exclusive: the bursts of concurrent clients (marked `exclusive`), which measure how the emulator holds up:
#   alone, one at a time. (Two at once, one per core, was 12 s quicker, and once in seven runs a user step of the
#   20 ms burst ran out of time: docs/tests.md.)
TEST_WORKERS ?= 6

unit: tests-parallel tests-exclusive  ## pytest alone

tests-parallel: $(VENV)/.installed $(TOOLS)/.installed $(VTL_REFERENCE) $(ASL_VALIDATOR) browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not exclusive"

tests-exclusive: $(VENV)/.installed
	$(PY) -m pytest -m exclusive

# The console's tests drive a real Chromium (tests/browser/browser.py): Debian's chromium and chromium-driver, installed
# here with apt-get where they are missing; elsewhere a local Chrome, named by CHROME_BINARY and CHROMEDRIVER.
browser:  ## the browser the console's tests drive
	@if [ -n "$$CHROME_BINARY" ] || { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then \
		echo "browser: $${CHROME_BINARY:-$$(command -v chromium)}"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		root=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$root apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver; \
	else \
		echo "no chromium here: install Chrome and set CHROME_BINARY and CHROMEDRIVER" >&2; exit 1; \
	fi

judges: $(VTL_REFERENCE) $(ASL_VALIDATOR) checkov  ## install the engines the tests judge with; run checkov

$(ASL_VALIDATOR): tools/asl-validator/package.json tools/asl-validator/package-lock.json
	mkdir -p $(ASL_VALIDATOR_DIR)
	cp tools/asl-validator/package.json tools/asl-validator/package-lock.json $(ASL_VALIDATOR_DIR)/
	npm ci --prefix $(ASL_VALIDATOR_DIR) --no-audit --no-fund --loglevel=error
	touch $@

# checkov pins boto3 exactly (checkov 3.3.30: boto3==1.35.49) and so does aws-sam-cli (1.170.0: boto3[crt]==1.43.108):
# pip cannot install them together, so checkov has an environment of its own. --skip-download: checkov would
# otherwise fetch guideline links from Prisma Cloud (no network needed to judge the template).
CHECKOV_VENV := .venv/checkov

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON_BASE) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

checkov: $(CHECKOV_VENV)/.installed  ## checkov on template.yaml: no failed check unless suppressed there with a reason
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

# The documentation site, docs/ as mkdocs.yml lays it out, built into site/. MkDocs and Material (pinned in
# requirements-docs.txt) have an environment of their own, as checkov does. --strict: a link to a page or an anchor
# that does not exist fails the build (mkdocs.yml's validation). Not --quiet, nor --verbose: MkDocs 1.6.1 counts the
# warnings strict fails on only at its default log level (--quiet drops them, and --verbose skips the anchor check), so
# either builds a broken link. Nothing is fetched while building (Mermaid's bundle, below, is fetched once, pinned).
# Material prints a banner about its end of life on every build: NO_MKDOCS_2_WARNING turns it off.
DOCS_VENV := .venv/docs

$(DOCS_VENV)/.installed: requirements-docs.txt
	$(PYTHON_BASE) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	touch $@

# make test builds the site under .venv/ (DOCS_SITE), which sam build leaves out of the Lambda packages: with the
# functions' CodeUri the whole repository, a site/ left in it would go into every function's package.
DOCS_SITE ?= site

# Mermaid, which draws the diagrams in the browser, is served with the pages (docs/javascripts/, not committed): else
# Material has the browser fetch it from unpkg. Only its one-file bundle is taken, from npm's registry (npm pack: the
# package alone, none of its dependencies), checked against the integrity npm's lock file would pin.
MERMAID_VERSION := 11.17.2
MERMAID_INTEGRITY := sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg==
MERMAID := docs/javascripts/mermaid.min.js

$(MERMAID): Makefile
	rm -rf $(DOCS_VENV)/mermaid && mkdir -p $(DOCS_VENV)/mermaid $(dir $@)
	cd $(DOCS_VENV)/mermaid && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null
	test "sha512-$$(openssl dgst -sha512 -binary $(DOCS_VENV)/mermaid/mermaid-$(MERMAID_VERSION).tgz | base64 -w0)" \
		= "$(MERMAID_INTEGRITY)" || { echo "mermaid $(MERMAID_VERSION): not the package pinned" >&2; exit 1; }
	tar -xzf $(DOCS_VENV)/mermaid/mermaid-$(MERMAID_VERSION).tgz -C $(DOCS_VENV)/mermaid package/dist/mermaid.min.js
	cp $(DOCS_VENV)/mermaid/package/dist/mermaid.min.js $@

docs: $(DOCS_VENV)/.installed $(MERMAID)  ## build docs/ into site/ with MkDocs, strictly: a broken link or anchor fails it
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict --site-dir $(DOCS_SITE)

docs-check:  ## make docs into .venv/docs/site: what make test runs
	$(MAKE) --no-print-directory docs DOCS_SITE=$(DOCS_VENV)/site

# api/openapi.yaml and the one-task workflows are written from one source each, api/source/ and statemachines/source/
# (docs/design.md "Code layout"); make test only checks that the committed files are as written (tests/unit/test_generated.py).
generate: $(VENV)/.installed  ## rewrite api/openapi.yaml and the one-task statemachines/*.asl.json from their sources
	$(PY) -m generate

events: $(VENV)/.installed  ## rewrite events/ (the sample events for sam local invoke) from a scenario on the emulator
	$(PY) -m tests.integration.sample_events

template: $(TOOLS)/.installed  ## cfn-lint and sam validate --lint, warnings included
	$(TOOLS)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/sam validate --lint --region eu-west-2

build: $(TOOLS)/.installed  ## sam build for the python3.13 / arm64 Lambda runtime
	PYENV_VERSION=$(SAM_PYENV) $(TOOLS)/bin/sam build

deploy: build  ## first time: sam deploy --guided (writes samconfig.toml choices)
	$(TOOLS)/bin/sam deploy

bench: $(VENV)/.installed  ## latency, throughput, DynamoDB requests per decision, cold starts (not part of make test)
	$(PY) -m bench

# moto's own tests of DynamoDB and the Step Functions interpreter, from the sdist of the pinned moto (PyPI, sha256 in
# tools/moto-suite/sdist.txt, kept in .venv/moto-suite/), unmodified, on moto as released and on moto as the emulator
# patches it (tools/moto-suite/run.py): a test that passes on the first and not on the second is a defect, unless
# tools/moto-suite/known_differences.toml says why AWS agrees with the emulator. Summary: test-output/moto-suite.json.
# Not part of make test (its two runs take a few minutes on two cores): .ci/run runs it after.
.PHONY: moto-suite
$(VENV)/.moto-suite-installed: requirements-moto-suite.txt $(VENV)/.installed
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-moto-suite.txt
	touch $@

moto-suite: $(VENV)/.moto-suite-installed  ## moto's own DynamoDB and Step Functions tests, unpatched and patched
	$(PY) tools/moto-suite/run.py

clean:
	rm -rf .venv .aws-sam .pytest_cache .mypy_cache .ruff_cache site
