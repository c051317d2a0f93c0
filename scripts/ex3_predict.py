"""Snakemake adapter: predict image files or folders with the recogniser."""

from digitstudy.ex3.outputs import PredictionFiles, write_predictions
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    out = PredictionFiles(snakemake.output.table, snakemake.output.sheet)
    write_predictions(snakemake.input.model, snakemake.input.images, out, card=snakemake.input.card)
