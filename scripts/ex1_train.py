"""Snakemake adapter: train one MLP of the Exercise 1 grid and save model, history, metrics, gradients."""

from digitstudy.runtime import log_to, yield_cpu
from digitstudy.keras_setup import configure_job

with log_to(snakemake.log[0]):
    yield_cpu()
    seed = int(snakemake.wildcards.seed)
    # Before Keras is imported.
    configure_job(
        snakemake,
        seed,
        snakemake.params.settings["keras_backend"],
        compilation_cache=snakemake.params.compilation_cache,
        without_optional_imports=True,
    )

    from digitstudy.data.arrays import load_splits
    from digitstudy.ex1.runs import save_run
    from digitstudy.ex1.grid import Setup
    from digitstudy.ex1.train import TrainSettings, prepare_inputs, train_mlp

    settings = TrainSettings.from_config(snakemake.params.settings)
    splits = load_splits(snakemake.input.mnist)
    data = prepare_inputs(splits["train"], splits["test"], settings)
    result = train_mlp(Setup(**snakemake.params.setup), int(snakemake.wildcards.depth), seed, data, settings)
    print(result.metrics)
    save_run(result, snakemake.output)
