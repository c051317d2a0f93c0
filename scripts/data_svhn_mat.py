"""Snakemake adapter: put SVHN's two official-format .mat files in place (real or stand-in)."""

import json
from pathlib import Path

from digitstudy.data.svhn import obtain_svhn_mat
from digitstudy.runtime import log_to, yield_cpu

with log_to(snakemake.log[0]):
    yield_cpu()
    provenance = obtain_svhn_mat(
        snakemake.params.source,
        Path(snakemake.output.train).parent,
        snakemake.params.cache_dir,
        dict(snakemake.params.standin),
        threads=snakemake.threads,
        base_url=snakemake.params.base_url,
    )
    Path(snakemake.output.origin).write_text(json.dumps(vars(provenance), indent=2) + "\n")
