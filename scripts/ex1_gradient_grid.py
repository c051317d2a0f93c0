"""Snakemake adapter: the "layer depth vs max gradient" grid at one epoch."""

import pandas as pd

from digitstudy.data.arrays import read_provenance
from digitstudy.ex1.figures import gradient_grid
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    provenance = read_provenance(snakemake.input.provenance)
    figure = gradient_grid(pd.read_csv(snakemake.input.gradients), int(snakemake.wildcards.epoch), provenance)
    figure.savefig(snakemake.output[0], dpi=130)
