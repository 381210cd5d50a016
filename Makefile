# The whole contributor interface: make demo, make test, make check, make bench.
# Each target creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench sandbox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[all,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

test: $(STAMP)
	scripts/system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[all,dev,bench]'
	$(BIN)/python bench/sandbox.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/politeness.py
	$(BIN)/python bench/client.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/mirror.py
	$(BIN)/python bench/stores.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/franchises.py

sandbox: $(STAMP)
	$(BIN)/mal sandbox

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
