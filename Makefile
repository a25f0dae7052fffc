# unionwatch: every target creates .venv and installs the project on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install demo run web test lint bench clean i18n

help:
	@echo "make demo   - set up, then crawl bundled sites offline and write a digest"
	@echo "make test   - set up, then run the test suite (SQLite and PostgreSQL)"
	@echo "make run    - set up, then run the service on config.yaml against the live sites"
	@echo "make web    - set up, then serve the web workspace on 127.0.0.1:8080 (beside make run)"
	@echo "make lint   - ruff, mypy and the import-layer contracts"
	@echo "make bench  - ingest, matching, digest, config and extraction benchmarks"
	@echo "make i18n   - re-extract the digest strings, update and compile the kk/ru/en catalogues"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "unionwatch needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/unionwatch demo

# The web workspace runs beside the service, on the same config and database: `make run` in
# one terminal, `make web` in another (after `make demo`: unionwatch web --config out/demo/config.yaml).
run: $(STAMP)
	$(BIN)/unionwatch check --config config.yaml
	$(BIN)/unionwatch run --config config.yaml

web: $(STAMP)
	$(BIN)/unionwatch web --config config.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -n 4 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/config.py
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) out data .pytest_cache .mypy_cache .ruff_cache

# The compiled .mo files are committed (a fresh clone and the wheel need no build step);
# tests/notifier/test_catalogues.py fails when they are stale or a string lacks a translation.
I18N_KEYWORDS := -k tr:2 -k ntr:2,3
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output \
		--project unionwatch --version 0.1 -o notifier/locale/messages.pot .
	$(BIN)/pybabel update -i notifier/locale/messages.pot -d notifier/locale --no-fuzzy-matching
	$(BIN)/pybabel compile -d notifier/locale --statistics
