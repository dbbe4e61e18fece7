# The two promises of the README: `make demo` and `make test`, each from a
# fresh clone with only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test check lint bench clean messages catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@ $(RUN_STAMP)

# The 2011 season replayed from the announcement's day to after the last meeting, in
# var/demo/ (settings in data/demo.toml). Two example subscribers chose texts: they are
# asked to reply YES on the first morning, reply, and get their reminders by text too.
DEMO := $(BIN)/reminders --config data/demo.toml

demo: $(RUN_STAMP)
	rm -rf var/demo
	$(DEMO) check
	$(DEMO) build --now 2011-02-15T12:00-05:00
	$(DEMO) --quiet simulate --live --from 2011-02-15T00:00-05:00 --to 2011-02-15T12:00-05:00 --step 1h
	$(DEMO) reply "(617) 555-0101" YES --now 2011-02-15T12:30-05:00
	$(DEMO) reply 617-555-0102 " sim " --now 2011-02-15T13:10-05:00
	$(DEMO) --quiet simulate --live --from 2011-02-15T14:00-05:00 --to 2011-07-10T00:00-04:00 --step 1h
	@echo "Reminders written to var/demo/outbox/new/ ($$(ls var/demo/outbox/new | wc -l) messages)."
	@echo "Texts written to var/demo/texts/ ($$(ls var/demo/texts | wc -l) texts), the last three:"
	@$(BIN)/python -c 'import json, sys; [print(" ", json.load(open(f))["body"]) for f in sys.argv[1:]]' \
		$$(ls var/demo/texts/*.json | tail -n 3)
	@echo "Feed and landing page in public/; to browse them: $(BIN)/reminders serve"

lint: $(TEST_STAMP)
	$(BIN)/ruff check reminders tests bench
	$(BIN)/ruff format --check reminders tests bench
	$(BIN)/mypy reminders tests

# Everything, as CI runs it.
test: lint
	$(BIN)/pytest

# The fast tests (under a minute): no real daemons, browser or PostgreSQL.
check: $(TEST_STAMP)
	$(BIN)/ruff check reminders tests bench
	$(BIN)/pytest -q -m "not slow and not browser and not postgres"

clean:
	rm -rf $(VENV) var public .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet --editable '.[test,bench]'
	$(BIN)/python bench/run.py

# Translations (gettext catalogs under reminders/locale/, see README "Languages").
messages: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k gettext -k N_ --no-location --omit-header --sort-output -o reminders/locale/messages.pot .
	$(BIN)/pybabel update -i reminders/locale/messages.pot -d reminders/locale --previous --no-fuzzy-matching -w 100

catalogs: $(TEST_STAMP)
	$(BIN)/pybabel compile -d reminders/locale --use-fuzzy --statistics
