# Two commands (see README): `make run` sets up and runs the workflow, `make test` sets up and
# runs the tests. Both create .venv from the pinned requirements on first use.
PYTHON ?= python3
VENV ?= .venv
CORES ?= 4
SNAKEMAKE_ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup run test report clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(VENV)/bin/python -m pip install --quiet -c requirements.lock -e ".[workflow,dev]"
	touch $@

run: setup
	$(VENV)/bin/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

report: setup
	$(VENV)/bin/snakemake --report results/snakemake-report.zip $(SNAKEMAKE_ARGS)

clean:
	rm -rf results logs benchmarks .snakemake
