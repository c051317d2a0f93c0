"""Snakemake adapter: grade a folder of submitted models on a labelled folder."""

from digitstudy.ex3.__main__ import main
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    out = str(snakemake.output[0]).rsplit("/", 1)[0]
    main(["grade", "--submissions", snakemake.input.submissions, "--folder", snakemake.input.folder, "--out", out])
