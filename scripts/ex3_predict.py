"""Snakemake adapter: predict image files or folders with the recogniser."""

from digitstudy.keras_setup import select_backend
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    select_backend(snakemake.params.backend)
    from digitstudy.ex3.outputs import PredictionFiles, write_predictions

    out = PredictionFiles(snakemake.output.table, snakemake.output.sheet)
    write_predictions(snakemake.input.model, snakemake.input.images, out, card=snakemake.input.card)
