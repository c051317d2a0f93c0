"""Snakemake adapter: the CNN's layer-by-layer output shapes and parameter counts."""

from digitstudy.ex2.runs import shape_trace_table
from digitstudy.ex2.topology import CnnSpec
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    table = shape_trace_table(CnnSpec.from_config(snakemake.params.cnn))
    print(table.to_string(index=False))
    table.to_csv(snakemake.output[0], index=False)
