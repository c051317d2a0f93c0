"""Snakemake adapter: train the recipe without one writers' set and read that set."""

from digitstudy.keras_setup import configure_job
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    section = snakemake.params.settings
    # The ensemble's networks side by side, one thread per operation (see ex3_train).
    configure_job(snakemake, section["seed"], section["keras_backend"], threads_per_op=1)

    from digitstudy.data.arrays import read_datasets
    from digitstudy.ex3.leave_one_out import leave_one_out

    splits, provenance = read_datasets(dict(snakemake.input.items()))
    table = leave_one_out(snakemake.wildcards.writers, splits, provenance, section, side_by_side=snakemake.threads)
    table.to_csv(snakemake.output[0], index=False)
    print(table.to_string(index=False))
