"""Snakemake adapter: the photo benchmark of the recogniser (simulated phone photos per condition)."""

from pathlib import Path

from digitstudy.runtime import log_to
from digitstudy.keras_setup import configure_keras

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    configure_keras(snakemake.threads, settings["seed"])

    from digitstudy.data.arrays import read_provenance
    from digitstudy.ex3.photo_benchmark import source_digits, write_benchmark
    from digitstudy.ex3.safe_load import load_untrusted

    usps_available = read_provenance(snakemake.input.usps_provenance).get("available", True)
    write_benchmark(
        load_untrusted(snakemake.input.model),
        source_digits(snakemake.input.mnist_arrays, snakemake.input.usps_arrays if usps_available else None),
        Path(snakemake.output.summary).parent,
        per_condition=settings["digits_per_condition"],
        seed=settings["seed"],
        photos_folder=settings["photos"],
        threads=snakemake.threads,
    )
