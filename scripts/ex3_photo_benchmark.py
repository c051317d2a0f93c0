"""Snakemake adapter: the photo benchmark of the recogniser (simulated phone photos per condition)."""

from pathlib import Path

from digitstudy.runtime import configure_tensorflow, log_to

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    configure_tensorflow(snakemake.threads, settings["seed"])

    from digitstudy.data.arrays import load_splits, read_provenance
    from digitstudy.ex3.photo_benchmark import write_benchmark
    from digitstudy.ex3.safe_load import load_untrusted

    sources = {"mnist test": load_splits(snakemake.input.mnist_arrays)["test"]}
    if read_provenance(snakemake.input.usps_provenance).get("available", True):
        sources["usps test"] = load_splits(snakemake.input.usps_arrays)["test"]
    summary = write_benchmark(
        load_untrusted(snakemake.input.model),
        {name: (split.images, split.labels) for name, split in sources.items()},
        Path(snakemake.output.summary).parent,
        per_condition=settings["digits_per_condition"],
        seed=settings["seed"],
        photos_folder=settings["photos"],
    )
    print(summary)
