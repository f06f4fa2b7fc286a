# make run        all-in-one dev server on http://localhost:8000 (embedded Mongo, demo data, dev token)
# make test       the whole suite against a real RabbitMQ (installed/started if needed); PYTEST_ARGS=...
# make bench      every benchmark (bench/all.py), then the performance table
# make schemas    rewrite each service's checked-in SDL (services/<name>/schema.graphql) from its code
# make contracts  JSON Schema + AsyncAPI for outside publishers into build/contracts
# make clean      build artefacts and caches (keeps .venv and the dev data in .crm/)
SHELL := /bin/sh
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test bench schemas contracts clean distclean install rabbitmq

run: $(STAMP)
	$(BIN)/crm dev

test: $(STAMP) rabbitmq
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: $(STAMP) rabbitmq
	$(BIN)/python bench/all.py

schemas: $(STAMP)
	$(BIN)/crm schemas

contracts: $(STAMP)
	$(BIN)/crm contracts export build/contracts

install: $(STAMP)

rabbitmq:
	PYTHON=$(PYTHON) sh scripts/ensure-rabbitmq.sh

# The venv is made once; the package is (re)installed only when pyproject.toml is newer than the stamp.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf build dist .pytest_cache .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
