# standin: `make run` serves every API on 127.0.0.1:8000; `make test` is what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Serving needs the package alone; the development tools (pytest, mypy, ruff, schemathesis, ...)
# install for the targets that use them. Installing them satisfies serving too.
SERVE_STAMP := $(VENV)/.installed-serve
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# Property tests: a bounded, seeded budget in `make test`, a deep one in `make test-deep`.
HYPOTHESIS_PROFILE ?= ci

.PHONY: install install-serve run test test-deep lint typecheck pytest bench coverage-table demo clean

install: $(DEV_STAMP)

install-serve: $(SERVE_STAMP)

# An editable install of a package whose folders are mapped to other names (setup.py) makes
# setuptools print an "Editable installation" notice (its InformationOnly warning: a folder named
# like the package could shadow it; the repository has none named standin). Only that one is
# silenced: any other warning of the build still shows.
PIP_INSTALL := PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $(SERVE_STAMP)

$(DEV_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	touch $(DEV_STAMP) $(SERVE_STAMP)

run: install-serve
	$(BIN)/standin serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow setuptools' editable import hook, so it checks the `standin` package through a
# tree of links that puts each folder where the package has it (setup.py maps the same way), and
# beside it the repository's own tools (the coverage table, the conformance suite).
TYPECHECK_TREE := build/typecheck
typecheck: install
	rm -rf $(TYPECHECK_TREE) && mkdir -p $(TYPECHECK_TREE)/standin
	for entry in mocks/*; do ln -s ../../../$$entry $(TYPECHECK_TREE)/standin/; done
	for folder in clients contracts fixtures; do ln -s ../../../$$folder $(TYPECHECK_TREE)/standin/; done
	ln -s ../../tools $(TYPECHECK_TREE)/tools
	cd $(TYPECHECK_TREE) && ../../$(BIN)/mypy --config-file ../../pyproject.toml

# One shard of the suite per core, each under coverage; their data files are combined for the
# report. coverage starts before pytest, so modules that pytest's plugins import early are
# measured too.
SHARDS := 1 2
pytest: install
	rm -f .coverage .coverage.*
	$(MAKE) --no-print-directory -j2 --output-sync=target $(addprefix pytest-shard-,$(SHARDS))
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report --skip-covered --show-missing

pytest-shard-%: install
	STANDIN_TEST_SHARD=$*/$(words $(SHARDS)) HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) \
		$(BIN)/coverage run --parallel-mode -m pytest -m "not deep"

test: lint typecheck pytest

test-deep: install
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -m "deep or not deep"

# docs/coverage.md: vendor reference, contract, fake, client and tests per operation (a tool of
# this repository, not part of the package).
coverage-table: install
	$(BIN)/python -m tools.coverage

# Every reference client through its vendor's documented workflow, against the fakes in-process.
demo: install
	$(BIN)/standin demo

# The servers side by side (bench.run), the scale-out figures (bench.scaleout: one process with
# and without Redis, replicas behind HAProxy), standin's start-up (bench.startup) and Locus coarse
# questions cold over 1, 5 and 30 years (bench.locus), an Atmotube device's first request at 1
# week, 1 year and 5 years old (bench.atmotube), a write's durable cost per API with its
# state empty and at its caps (bench.durable), each beside its baseline in the same run;
# then the soak (bench/soak.py): 10 minutes of tenants made, used and deleted, RSS at start,
# middle and end, then 10,000 Metasys streams opened and dropped; SOAK_SECONDS=0 leaves it out.
# The stream matrix (bench.streams): STREAM_COUNTS streams on one point, 10 changes a second for
# STREAM_SECONDS each, a fresh server per count, with ratios to the smallest count.
SOAK_SECONDS ?= 600
STREAM_COUNTS ?= 100,300,1000
STREAM_SECONDS ?= 10
bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.streams --streams $(STREAM_COUNTS) --seconds $(STREAM_SECONDS)
	$(BIN)/python -m bench.scaleout
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.locus
	$(BIN)/python -m bench.atmotube
	$(BIN)/python -m bench.durable
	if [ "$(SOAK_SECONDS)" != "0" ]; then $(BIN)/python -m bench.soak --soak-seconds $(SOAK_SECONDS); fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
