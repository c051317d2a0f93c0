"""Snakemake adapter: a grid of example images per class, stamped with the data's provenance."""

from digitstudy.data.arrays import load_splits, read_provenance
from digitstudy.data.summary import sample_grid
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    splits, provenance = load_splits(snakemake.input.arrays), read_provenance(snakemake.input.provenance)
    figure = sample_grid(splits, provenance, snakemake.params.per_class, snakemake.params.seed)
    figure.savefig(snakemake.output[0], dpi=120)
