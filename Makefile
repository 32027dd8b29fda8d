# Lingqu: the two commands of the quickstart are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install init serve migration bench bench-search bench-web bench-risk clean browser-deps

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: set up, initialise var/lingqu.db with reference data and the demo world, serve on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/lingqu init --demo
	$(BIN)/lingqu serve --host 127.0.0.1 --port 8000

## make test: the whole suite (SQLite always; PostgreSQL too when LINGQU_TEST_POSTGRES_URL is set)
test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -n 2 -q

## make browser-deps: Debian's chromium and fonts-noto-cjk for tests/browser (installs only what is missing)
browser-deps:
	bash scripts/ensure-browser.sh

migration: $(STAMP)
	$(BIN)/python scripts/regen_migration.py

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py

## make bench-search: standards search at 300,000 documents, tantivy against SQLite FTS5 (docs/benchmarks.md)
bench-search: $(STAMP)
	$(BIN)/python bench/search_bench.py --docs 300000 --queries 1000
	$(BIN)/python bench/search_quality.py

## make bench-web: dashboard and enterprise list under 20 concurrent clients (13,500 enterprises, ~1 M results)
bench-web: $(STAMP)
	$(BIN)/python bench/web_bench.py

## make bench-risk: grading + all warnings over 1 M / 10 M / 100 M generated item rows, against pandas
## (worlds and Parquet warehouses under BENCH_RISK_SCRATCH, default var/bench-risk; 100 M needs ~30 GB free)
BENCH_RISK_SCRATCH ?= var/bench-risk
BENCH_RISK_SIZES ?= 1m,10m,100m
bench-risk: $(STAMP)
	$(BIN)/python bench/risk_bench.py --sizes $(BENCH_RISK_SIZES) --scratch $(BENCH_RISK_SCRATCH)

clean:
	rm -rf var .pytest_cache
