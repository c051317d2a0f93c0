"""Snakemake adapter: derivative ranges (analytic vs numerical) and a plot of every activation."""

from digitstudy.ex1.analysis import derivative_ranges_table
from digitstudy.ex1.figures import activation_functions
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    derivative_ranges_table().to_csv(snakemake.output.table, index=False)
    activation_functions().savefig(snakemake.output.figure, dpi=130)
