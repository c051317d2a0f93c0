"""Snakemake adapter: predict image files or folders with the recogniser."""

from pathlib import Path

from digitstudy.ex3.outputs import write_predictions
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    write_predictions(snakemake.input.model, snakemake.input.images, Path(snakemake.output.table).parent)
