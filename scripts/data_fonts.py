"""Snakemake adapter: fetch the handwriting fonts and draw their digits (optional set)."""

from digitstudy.data.arrays import write_dataset
from digitstudy.data.fonts import fetch_fonts, render_fonts
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    paths, provenance = fetch_fonts(snakemake.params.source, snakemake.params.raw_dir)
    write_dataset(snakemake.output.arrays, snakemake.output.provenance, render_fonts(paths), provenance)
