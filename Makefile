# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export CINESYNC_HOME ?= $(CURDIR)/.cinesync
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: venv demo lint test bench replay clean stop

$(BIN)/cinesync: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all,test]'
	@touch $@

venv: $(BIN)/cinesync

# Prepare the embedded PostgreSQL, load the synthetic demo data, show what the engine learned,
# then serve the preference dashboard (Ctrl-C to stop).
demo: venv
	$(BIN)/cinesync demo
	$(BIN)/cinesync dashboard

# Lint, format check and type check (strict on personalization/core and personalization/storage,
# see pyproject.toml). `make test` runs it first.
lint: venv
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

test: venv lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests  # tests/notebooks executes each notebook once

bench: venv
	$(BIN)/cinesync bench

stop:
	-$(BIN)/cinesync db stop

clean: stop
	rm -rf $(VENV) .cinesync
