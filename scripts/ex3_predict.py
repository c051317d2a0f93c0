"""Snakemake adapter: predict image files or folders with the recogniser."""

from digitstudy.ex3.__main__ import main
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    out = str(snakemake.output.table).rsplit("/", 1)[0]
    main(["predict", "--model", snakemake.input.model, "--out", out, *snakemake.input.images])
