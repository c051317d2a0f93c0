"""Snakemake adapter: photographed sheets of digits -> a labelled folder DIR/<digit>/*.png."""

from digitstudy.ex3.outputs import write_cut_sheets
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    write_cut_sheets(snakemake.input.photos, snakemake.params.labels, snakemake.output[0])
