# Two commands (see README): `make run` sets up and runs the workflow, `make test` sets up and
# runs the tests. Both create .venv from the pinned requirements on first use.
PYTHON ?= python3
VENV ?= .venv
CORES ?= 4
SNAKEMAKE_ARGS ?=
PYTEST_ARGS ?=
PYTHON_DIRS = src scripts tests tools

# System tools the report and its tests need (Debian/Ubuntu; run as root): a TeX toolchain
# for the PDF, poppler for checking its pages, and Chromium for checking the HTML.
SYSTEM_PACKAGES = latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended \
	lmodern poppler-utils chromium fonts-dejavu-core

.PHONY: setup system system-deps run test report clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(VENV)/bin/python -m pip install --quiet -c requirements.lock -e ".[workflow,dev]"
	touch $@

# Installs the system packages when a tool is missing and we are root; otherwise says how.
system:
	@if ! { command -v latexmk && command -v pdftoppm && command -v chromium && kpsewhich lmodern.sty; } >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then $(MAKE) system-deps; \
		else echo "Missing system tools for the report. Run: sudo make system-deps"; exit 1; fi; \
	fi

system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES)

run: setup system
	$(VENV)/bin/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

# Style first (ruff: lint and format, line length 120, configured in pyproject.toml), then pytest.
test: setup system
	$(VENV)/bin/ruff check $(PYTHON_DIRS)
	$(VENV)/bin/ruff format --check $(PYTHON_DIRS)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

report: setup
	$(VENV)/bin/snakemake --report results/snakemake-report.zip $(SNAKEMAKE_ARGS)

clean:
	rm -rf results logs benchmarks .snakemake
