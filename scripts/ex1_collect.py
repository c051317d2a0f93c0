"""Snakemake adapter: gather every run's metrics, histories and gradients into three tables."""

from digitstudy.ex1.runs import collect_csvs, collect_metrics
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    collect_metrics(snakemake.input.metrics).to_csv(snakemake.output.metrics, index=False)
    collect_csvs(snakemake.input.histories, snakemake.params.columns).to_csv(snakemake.output.histories, index=False)
    collect_csvs(snakemake.input.gradients).to_csv(snakemake.output.gradients, index=False)
