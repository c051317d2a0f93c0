"""Snakemake adapter: grade a folder of submitted models on a labelled folder."""

from digitstudy.keras_setup import select_backend
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    select_backend(snakemake.params.backend)
    from digitstudy.ex3.outputs import write_grades

    write_grades(snakemake.input.submissions, snakemake.input.folder, snakemake.output[0], snakemake.params.limits)
