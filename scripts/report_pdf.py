"""Snakemake adapter: compile the LaTeX report to PDF."""

from digitstudy.report.pdf import compile_pdf
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    compile_pdf(snakemake.input.tex, snakemake.output[0])
