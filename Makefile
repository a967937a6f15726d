# Grid+ — the commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
HELM := .tools/bin/helm
CHECKOV := .tools/checkov/bin/checkov
export PYTHONPATH := services

.PHONY: help install run test test-all test-unit test-deploy test-integration test-e2e lint protos protos-check \
        bench chaos chart-lint chart-sync kustomize images lock clean prometheus-tools alert-rules \
        web-vendor browser docs release-protos examples-node

help:
	@echo "make run      start the broker, all five services and the demo city on http://127.0.0.1:8080"
	@echo "make test     lint, then unit, integration (real broker, SQLite, PostgreSQL) and e2e tests"
	@echo "make bench    throughput, latency and memory figures of the whole path"
	@echo "make chaos    10,000 petitions on 2 replicas of everything (PostgreSQL) while replicas are killed"
	@echo "make protos   regenerate the gRPC/protobuf code from protos/"
	@echo "make lint     ruff, mypy, buf lint and breaking, generated code and API reference freshness"
	@echo "make docs     regenerate the gRPC API reference (docs/api/) from protos/"
	@echo "make release-protos  record protos/ as released (buf breaking checks against it)"
	@echo "make chart-lint  helm lint and template of charts/gridplus"
	@echo "make chart-sync  copy deploy/'s alert rules and dashboards into the chart (files/)"
	@echo "make kustomize   regenerate deploy/kustomize from the chart"

install: $(VENV)/.installed web-vendor

# Browser libraries (Leaflet, ECharts, axe-core) from the npm registry, checked against pinned hashes.
web-vendor: $(VENV)/.installed
	@$(PY) -m tools.web_vendor

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

# REPLICAS=2 DB=postgresql: every service twice on one PostgreSQL database per service (var/stack.json).
REPLICAS ?= 1
DB ?= sqlite

# GRIDPLUS_OIDC_ISSUER/AUDIENCE (and the other GRIDPLUS_OIDC_*) pass through to every service.
run: install
	@if [ -n "$$GRIDPLUS_OIDC_ISSUER" ]; then echo "OIDC: services accept tokens of $$GRIDPLUS_OIDC_ISSUER (audience $${GRIDPLUS_OIDC_AUDIENCE:-UNSET: the services will refuse to start}); the dev tokens in var/dev-credentials.json are REFUSED for people (only role service keeps working). Sign in at the provider, or unset GRIDPLUS_OIDC_ISSUER to use the dev tokens."; fi
	$(PY) -m tools.stack run --replicas $(REPLICAS) --db $(DB)

# Test files run in parallel (pytest-xdist): a file stays on one worker, the e2e files that share
# one started platform stay together (pytest_xdist_make_scheduler in tests/conftest.py). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 4

test:
	@start=$$(date +%s); $(MAKE) --no-print-directory test-all; status=$$?; \
	  echo "make test: $$(( $$(date +%s) - start )) s in all (lint, chart and rule checks, tests)"; \
	  exit $$status

test-all: lint postgres $(HELM) $(CHECKOV) alert-rules browser examples-node
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) tests

test-unit: install
	$(PY) -m pytest -q tests/unit

test-deploy: install $(HELM) $(CHECKOV) prometheus-tools
	$(PY) -m pytest -q tests/deploy

test-integration: install postgres
	$(PY) -m pytest -q tests/integration

test-e2e: install postgres prometheus-tools browser examples-node
	$(PY) -m pytest -q tests/e2e

postgres:
	@tools/ensure-postgres.sh

# Debian's chromium and CJK fonts, for the browser tests (Playwright drives that binary).
browser:
	@tools/install-chromium.sh

prometheus-tools:
	@tools/install-prometheus.sh

# Alert rules: syntax and unit tests (deploy/prometheus); the e2e test fires them for real.
alert-rules: prometheus-tools
	promtool check rules deploy/prometheus/rules/gridplus-alerts.yaml
	promtool test rules deploy/prometheus/tests/*.yaml

lint: install
	$(VENV)/bin/ruff check services tests tools
	$(VENV)/bin/ruff format --check services tests tools
	$(VENV)/bin/mypy
	cd protos && ../$(VENV)/bin/buf lint
	cd protos && for image in releases/*.binpb; do ../$(VENV)/bin/buf breaking --against $$image || exit 1; done
	$(PY) tools/gen_protos.py --check
	$(PY) tools/gen_api_docs.py --check

protos: install
	$(PY) tools/gen_protos.py
	$(PY) tools/gen_api_docs.py

# The gRPC API reference, docs/api/, from the comments in protos/.
docs: install
	$(PY) tools/gen_api_docs.py

# Record the committed protos/ (git HEAD) as a release: every later change must stay
# compatible with it (buf breaking in make lint). PROTO_RELEASE names it; default: today.
PROTO_RELEASE ?= $(shell date -u +%Y-%m-%d)

release-protos: install
	test ! -e protos/releases/$(PROTO_RELEASE).binpb
	$(VENV)/bin/buf build '.git#ref=HEAD,subdir=protos' --exclude-source-info -o protos/releases/$(PROTO_RELEASE).binpb

# The Node example client's packages (pinned in examples/node/package-lock.json), from npm.
examples-node: examples/node/node_modules/.package-lock.json

examples/node/node_modules/.package-lock.json: examples/node/package-lock.json
	npm ci --prefix examples/node --no-audit --no-fund

# QUICK=1: small counts, the slow phases skipped (≤ 90 s); DB=postgresql: every service on its own
# PostgreSQL database. Figures as JSON in var/bench/ (python -m bench compare A.json B.json).
QUICK ?=
bench: install $(if $(filter postgresql,$(DB)),postgres)
	$(PY) -m bench --db $(DB) $(if $(QUICK),--quick)

# The long chaos run (not in make test; tests/e2e/test_chaos.py is its bounded version).
CHAOS_PETITIONS ?= 10000

chaos: install postgres
	$(PY) -m bench.chaos --petitions $(CHAOS_PETITIONS)

$(HELM):
	tools/install-helm.sh

chart-lint: $(HELM)
	$(HELM) lint --strict charts/gridplus
	$(HELM) template gridplus charts/gridplus > /dev/null

$(CHECKOV):
	tools/install-checkov.sh

# The chart cannot read files outside itself: it ships copies of deploy/'s alert rules and
# dashboards (tests/deploy/test_chart_checks.py fails when they differ).
chart-sync:
	mkdir -p charts/gridplus/files/dashboards charts/gridplus/files/prometheus
	rm -f charts/gridplus/files/dashboards/*.json charts/gridplus/files/prometheus/*.yaml
	cp deploy/grafana/*.json charts/gridplus/files/dashboards/
	if ls deploy/prometheus/rules/*.yaml >/dev/null 2>&1; then \
	  cp deploy/prometheus/rules/*.yaml charts/gridplus/files/prometheus/; fi

# deploy/kustomize/{base,migrations,components} rendered from the chart.
kustomize: $(HELM)
	$(PY) -m tools.gen_kustomize

images:
	docker build -t gridplus:dev .

lock:
	(head -1 constraints.txt; $(VENV)/bin/pip freeze --exclude-editable | grep -v "^-e") > constraints.tmp && mv constraints.tmp constraints.txt

clean:
	rm -rf var .tools .pytest_cache .mypy_cache .ruff_cache
