#!/usr/bin/env sh
# Snakemake runs this inside each env it creates (as <env>.post-deploy.sh, linked here): it
# installs this checkout's package into the env, without dependencies, which the env file lists.
# DIGITSTUDY_ROOT is the workflow's folder, set by rules/common.smk.
set -eu
python -m pip install --quiet --no-deps --editable "${DIGITSTUDY_ROOT:?set by rules/common.smk}"
