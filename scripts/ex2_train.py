"""Snakemake adapter: train the SVHN CNN with early stopping and measure it on the test set."""

from digitstudy.runtime import log_to, yield_cpu
from digitstudy.keras_setup import configure_job

with log_to(snakemake.log[0]):
    yield_cpu()
    section = snakemake.params.cnn
    # Before Keras is imported; a GPU only where the job asked for one (profiles/gpu).
    configure_job(snakemake, section["seed"], section["keras_backend"])

    from digitstudy.data.arrays import load_splits, read_provenance
    from digitstudy.data.svhn_format import STANDIN_WARNING
    from digitstudy.ex2.runs import save_cnn_run
    from digitstudy.ex2.topology import CnnSpec
    from digitstudy.ex2.train import CnnTrainSettings, train_cnn

    provenance = read_provenance(snakemake.input.provenance)
    if provenance.get("stand_in"):
        print(f"WARNING: {STANDIN_WARNING}")
    splits = load_splits(snakemake.input.svhn)
    result = train_cnn(
        splits["train"], splits["test"], CnnSpec.from_config(section), CnnTrainSettings.from_config(section)
    )
    result.model.summary(print_fn=print)
    print({k: v for k, v in result.metrics.items() if k != "per_class"})
    save_cnn_run(result, provenance, snakemake.output)
