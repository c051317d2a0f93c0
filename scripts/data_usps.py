"""Snakemake adapter: obtain USPS (optional; recorded as unavailable when it cannot be had)."""

from digitstudy.data.arrays import write_dataset
from digitstudy.data.writers import fetch_usps
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    splits, provenance = fetch_usps(snakemake.params.source, snakemake.params.raw_dir)
    write_dataset(snakemake.output.arrays, snakemake.output.provenance, splits, provenance)
