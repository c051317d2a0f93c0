"""Snakemake adapter: train the recipe without one writers' set and read that set."""

from digitstudy.keras_setup import configure_keras
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    section = snakemake.params.settings
    # The ensemble's networks side by side, one thread per operation (see ex3_train).
    gpus = snakemake.resources.get("gpu", 0)
    configure_keras(snakemake.threads, section["seed"], section["keras_backend"], threads_per_op=1, gpus=gpus)

    from digitstudy.data.arrays import load_splits, read_provenance
    from digitstudy.ex3.leave_one_out import leave_one_out

    provenance = {name: read_provenance(path) for name, path in snakemake.input.items() if name.endswith("_provenance")}
    splits = {name: load_splits(path) for name, path in snakemake.input.items() if name.endswith("_arrays")}
    table = leave_one_out(snakemake.wildcards.writers, splits, provenance, section, side_by_side=snakemake.threads)
    table.to_csv(snakemake.output[0], index=False)
    print(table.to_string(index=False))
