"""Snakemake adapter: the range of f' of each of the grid's activations, f' by automatic
differentiation on the configured Keras backend, and a plot of f and f'."""

from digitstudy.keras_setup import select_backend
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    backend = snakemake.params.backend
    select_backend(backend)
    from digitstudy.ex1.analysis import derivative_ranges_table
    from digitstudy.ex1.figures import activation_functions
    from digitstudy.ex1.keras_activations import curves, derivative

    activations = list(snakemake.params.activations)
    derivative_ranges_table(activations, derivative, backend).to_csv(snakemake.output.table, index=False)
    activation_functions(activations, curves, backend).savefig(snakemake.output.figure, dpi=130)
