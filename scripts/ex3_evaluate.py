"""Snakemake adapter: evaluate the recogniser on a labelled folder DIR/<digit>/*."""

from pathlib import Path

from digitstudy.ex3.outputs import write_evaluation
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    write_evaluation(snakemake.input.model, snakemake.input.folder, Path(snakemake.output.summary).parent)
