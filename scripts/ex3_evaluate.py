"""Snakemake adapter: evaluate the recogniser on a labelled folder DIR/<digit>/*."""

from digitstudy.ex3.__main__ import main
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    out = str(snakemake.output.summary).rsplit("/", 1)[0]
    main(["evaluate", "--model", snakemake.input.model, "--folder", snakemake.input.folder, "--out", out])
