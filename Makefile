# fiberbill: `make demo` runs the main job on sample data, `make test` runs every check.
# Both create .venv in the repo root on first use; nothing needs installing by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DATA := data/demo
DEMO_THROUGH := 2026-02-28
DEMO_FIRST_DAY := 2025-11-01
DEMO_DOCUMENTS_FROM := 2026-02-01
WAREHOUSE ?= fiberbill.duckdb
EXPORTS ?= fiberbill-exports
# dbt needs a warehouse path even to parse; parsing never opens it.
PARSE_ENV := FIBERBILL_WAREHOUSE=$(CURDIR)/$(WAREHOUSE)

.PHONY: demo portal test lint pytest manifest ui bench clean system screenshots docs

# uv installs the same pinned packages as pip in about a quarter of the time, compiling
# them on both cores (DECISIONLOG 82); pip does the install if uv cannot be had or fails.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	( $(BIN)/python -m pip install --quiet uv && \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]' ) || \
	( echo "uv failed: installing with pip" && $(BIN)/python -m pip install --quiet -e '.[test]' )
	@touch $(STAMP)

# Debian packages the documents and their tests need (fonts, pdftotext), when missing.
system:
	@.ci/system-packages

# Dagster's dbt assets read dbt/target/manifest.json when the definitions load.
manifest: $(STAMP)
	$(PARSE_ENV) $(BIN)/dbt parse --quiet --project-dir dbt --profiles-dir dbt

# Generated again, from scratch, whenever this file (the demo's size) changes.
$(DEMO_DATA)/settings.toml: $(STAMP) Makefile
	rm -rf $(DEMO_DATA)
	$(BIN)/fiberbill generate --subscribers 1000 --providers 4 --start $(DEMO_FIRST_DAY) \
		--months 4 --seed 7 --out $(DEMO_DATA)

# The main job end to end with collection (sandbox/demo.py): localstripe on 127.0.0.1, calls
# 20 days apart with --payments stripe, the customers who pay by transfer paying after each
# call, long unpaid invoices written off, February's documents rendered (`fiberbill
# documents render` without --since makes the rest), and the book printed. Always from an
# empty warehouse. About 3 minutes: with Stripe every run day is carried out and collected
# (about a second a day at this size, docs/performance.md), so the network is 1,000
# subscribers over 4 months.
demo: $(STAMP) system $(DEMO_DATA)/settings.toml
	rm -f $(WAREHOUSE) $(WAREHOUSE).wal $(WAREHOUSE).stripe-* $(DEMO_DATA)/payments.*.csv
	rm -rf $(EXPORTS) $(WAREHOUSE).portal*
	$(BIN)/python -m sandbox.demo --data $(DEMO_DATA) --through $(DEMO_THROUGH) \
		--warehouse $(WAREHOUSE) --exports $(EXPORTS) --documents-from $(DEMO_DOCUMENTS_FROM)

# The customer portal over the demo warehouse, with the secret `make demo` made (its link is
# printed at the end of `make demo`). Payments need STRIPE_API_KEY (the demo's localstripe
# is stopped when the demo ends).
portal: $(STAMP)
	@test -f .fiberbill/portal-secret || { echo "run make demo first"; exit 2; }
	PORTAL_SECRET=$$(cat .fiberbill/portal-secret) $(BIN)/fiberbill portal serve \
		--warehouse $(WAREHOUSE)

# SQLFluff reads the dbt models with its jinja templater (no dbt compile; .sqlfluff) and
# the engine's SQL files with the placeholder templater (fiberbill/.sqlfluff).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt/models dbt/tests
	$(BIN)/sqlfluff lint --config fiberbill/.sqlfluff fiberbill/*/sql exports/sql sandbox/sql dagster_project/defs/*/sql

# The lint and the tests run side by side (the tests leave a core idle now and then: waits
# on localstripe, on dagster dev, and the last tests of one worker); either failing fails
# `make test`.
test: $(STAMP)
	@$(MAKE) --no-print-directory -j 2 lint pytest

pytest: $(STAMP) manifest system
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15

ui: $(STAMP) manifest $(DEMO_DATA)/settings.toml
	@mkdir -p .dagster_home
	@cp dagster_project/dagster.yaml .dagster_home/dagster.yaml
	PATH=$(BIN):$$PATH DAGSTER_HOME=$(CURDIR)/.dagster_home FIBERBILL_DATA_DIR=$(CURDIR)/$(DEMO_DATA) \
		FIBERBILL_WAREHOUSE=$(CURDIR)/$(WAREHOUSE) FIBERBILL_EXPORTS=$(CURDIR)/$(EXPORTS) \
		FIBERBILL_FIRST_DAY=$(DEMO_FIRST_DAY) \
		$(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p 3000

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generator.py
	$(BIN)/python benchmarks/bench_stripe.py
	$(BIN)/python benchmarks/bench_wholesale.py

# The documents' and the finance dashboard's screenshots in docs/images/, taken by their
# browser tests.
screenshots: $(STAMP) manifest system
	FIBERBILL_SCREENSHOTS=$(CURDIR)/docs/images $(BIN)/python -m pytest -q \
		tests/documents/test_browser.py tests/finance/test_dashboard_browser.py

# dbt's docs as one HTML file that opens offline (descriptions, columns, lineage), with the
# warehouse's catalog (column types, row counts) when it exists (`make demo` makes it), else
# over an empty warehouse in a temporary folder: never creating ./fiberbill.duckdb. Written
# to a target folder of its own: the manifest Dagster reads stays as `make manifest` made it.
DOCS_DIR ?= $(CURDIR)/dbt/target/docs
docs: $(STAMP)
	@tmp=$$(mktemp -d); \
	if test -f $(WAREHOUSE); then wh=$(abspath $(WAREHOUSE)); catalog=; \
	else wh=$$tmp/$(notdir $(WAREHOUSE)); catalog=--empty-catalog; fi; \
	FIBERBILL_WAREHOUSE=$$wh $(BIN)/dbt docs generate --static --quiet --project-dir dbt \
		--profiles-dir dbt --target-path $(DOCS_DIR) $$catalog; \
	status=$$?; rm -rf $$tmp; exit $$status
	@echo "dbt docs: $(DOCS_DIR)/static_index.html (one file, opens offline)"

clean:
	rm -rf $(DEMO_DATA) $(WAREHOUSE) $(WAREHOUSE).stripe-* $(EXPORTS) .dagster_home dbt/target dbt/logs
