"""Snakemake adapter: one table of images per dataset, split and class."""

from digitstudy.data.arrays import read_provenance
from digitstudy.data.summary import counts_table
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    counts_table([read_provenance(path) for path in snakemake.input]).to_csv(snakemake.output[0], index=False)
