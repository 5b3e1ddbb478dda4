# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export CINESYNC_HOME ?= $(CURDIR)/.cinesync
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: venv demo lint test test-pg lab bench replay clean stop

$(BIN)/cinesync: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all,test]'
	@touch $@

venv: $(BIN)/cinesync

# Prepare the embedded PostgreSQL, load the synthetic demo data, train and publish the
# collaborative models (`cinesync demo` runs what `cinesync train` does), show what the engine
# learned, then serve the preference dashboard (Ctrl-C to stop).
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
	@$(MAKE) --no-print-directory test-pg

# The storage and service tests again, on Debian's own PostgreSQL (apt-get install postgresql) in
# a throwaway cluster (tests/conftest.py, --pg-bindir): "any PostgreSQL by URL" is tested.
PG_BINDIR ?= $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin)))
PG_TESTS  := tests/personalization/storage tests/personalization/service \
             tests/personalization/test_service.py tests/personalization/test_smoke_service.py
test-pg: venv
	@if [ -z "$(PG_BINDIR)" ]; then \
	    echo "test-pg skipped: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)"; \
	else \
	    $(BIN)/python -m pytest -n 2 -m "not slow" --pg-bindir $(PG_BINDIR) $(PG_TESTS); \
	fi

# The analyst's lab: JupyterLab on notebooks/, this venv registered as the kernel "CineSync (.venv)"
# (visible to any Jupyter or editor of this user). `make lab LAB_ARGS=--no-browser` on a server.
# Each notebook's `parameters` cell picks its data: the sandbox, a MovieLens folder, a Parquet
# export or the live database (read only); papermill runs them with -p source parquet -p path DIR.
lab: venv
	$(BIN)/python -c "import jupyterlab, papermill" 2>/dev/null || $(BIN)/pip install -q -e '.[lab]'
	$(BIN)/python -m ipykernel install --user --name cinesync --display-name "CineSync (.venv)"
	$(BIN)/jupyter lab --notebook-dir notebooks $(LAB_ARGS)

bench: venv
	$(BIN)/cinesync bench

stop:
	-$(BIN)/cinesync db stop

clean: stop
	rm -rf $(VENV) .cinesync
