"""Snakemake adapter: read SVHN's .mat files with the official-format loader."""

import json

from digitstudy.data.arrays import Provenance, write_dataset
from digitstudy.data.svhn_format import load_svhn_mat
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    provenance = Provenance(**json.loads(open(snakemake.input.origin).read()))
    splits = {"train": load_svhn_mat(snakemake.input.train), "test": load_svhn_mat(snakemake.input.test)}
    for warning in provenance.warnings:
        print(f"WARNING: {warning}")
    write_dataset(snakemake.output.arrays, snakemake.output.provenance, splits, provenance)
