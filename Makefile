# The two promises of the README: `make demo` and `make test`, each from a
# fresh clone with only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@ $(RUN_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/reminders check
	$(BIN)/reminders build --now 2011-02-15T12:00-05:00
	@echo "Open public/index.html, or run: $(BIN)/reminders serve"

lint: $(TEST_STAMP)
	$(BIN)/ruff check reminders tests
	$(BIN)/ruff format --check reminders tests
	$(BIN)/mypy reminders

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var public .pytest_cache .mypy_cache .ruff_cache .hypothesis
