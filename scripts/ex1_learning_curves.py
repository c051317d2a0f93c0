"""Snakemake adapter: learning curves of every configuration (mean +- std over seeds)."""

import pandas as pd

from digitstudy.data.arrays import read_provenance
from digitstudy.ex1.figures import learning_curves
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    figure = learning_curves(
        pd.read_csv(snakemake.input.histories), snakemake.wildcards.metric, read_provenance(snakemake.input.provenance)
    )
    figure.savefig(snakemake.output[0], dpi=130)
