"""Snakemake adapter: test scores (mean +- std over seeds) as a table and a chart."""

import pandas as pd

from digitstudy.data.arrays import load_splits, read_provenance
from digitstudy.ex1.analysis import majority_share, scores_table
from digitstudy.ex1.figures import scores_chart
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    table = scores_table(pd.read_csv(snakemake.input.metrics))
    table.to_csv(snakemake.output.table, index=False)
    _, share = majority_share(load_splits(snakemake.input.mnist)["test"].labels)
    scores_chart(table, share, read_provenance(snakemake.input.provenance)).savefig(snakemake.output.chart, dpi=130)
