"""Snakemake adapter: evaluate the recogniser on a labelled folder DIR/<digit>/*."""

from dataclasses import fields

from digitstudy.keras_setup import select_backend
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    select_backend(snakemake.params.backend)
    from digitstudy.ex3.outputs import EvaluationFiles, write_evaluation

    out = EvaluationFiles(**{field.name: snakemake.output[field.name] for field in fields(EvaluationFiles)})
    write_evaluation(snakemake.input.model, snakemake.input.folder, out, card=snakemake.input.card)
