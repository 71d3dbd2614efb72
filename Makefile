# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the portal with demo data on the embedded PostgreSQL (Celery eager).
run: $(STAMP)
	$(BIN)/python manage.py serve_demo

## Run the whole test suite (embedded PostgreSQL unless DATABASE_URL is set).
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## Refresh the Chinese catalogue after changing UI strings (compiling needs GNU gettext).
## The compiled .mo is committed, so `make run` needs no gettext.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore '.data/*'
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'
