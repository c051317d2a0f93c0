"""Snakemake adapter: facts the report turns into sentences, computed from this run's results."""

import json
from pathlib import Path

import pandas as pd

from digitstudy.data.arrays import load_splits
from digitstudy.ex1.analysis import observations
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    facts = observations(
        pd.read_csv(snakemake.input.metrics),
        pd.read_csv(snakemake.input.gradients),
        load_splits(snakemake.input.mnist)["test"].labels,
    )
    Path(snakemake.output[0]).write_text(json.dumps(facts, indent=2))
