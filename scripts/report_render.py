"""Snakemake adapter: render the HTML and LaTeX reports from the run's result files."""

from pathlib import Path

from digitstudy.report.render import render
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    # The templates live in the checkout (report/templates/): its git commit goes in the report.
    template_dir = Path(snakemake.input.templates[0]).parent
    sections = render(
        snakemake.input,
        snakemake.config,
        template_dir=template_dir,
        workflow_dir=template_dir.parents[1],
        html_out=snakemake.output.html,
        tex_out=snakemake.output.tex,
    )
    print(f"{len(sections)} sections -> {snakemake.output.html}, {snakemake.output.tex}")
