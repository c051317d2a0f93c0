"""Snakemake adapter: render the photo benchmark's simulated phone photos and preprocess them
(no network needed), and draw one example per condition."""

from digitstudy.runtime import log_to, yield_cpu

with log_to(snakemake.log[0]):
    yield_cpu()
    from digitstudy.data.arrays import read_provenance
    from digitstudy.ex3.outputs import write_rendered
    from digitstudy.ex3.photo_benchmark import render_benchmark, source_digits

    settings = snakemake.params.settings
    usps_available = read_provenance(snakemake.input.usps_provenance).get("available", True)
    sources = source_digits(snakemake.input.mnist_arrays, snakemake.input.usps_arrays if usps_available else None)
    rendered = render_benchmark(
        sources,
        per_condition=settings["digits_per_condition"],
        seed=settings["seed"],
        threads=snakemake.threads,
        combined=settings["combined"],
        non_digits=settings["non_digits_per_kind"],
    )
    write_rendered(rendered, snakemake.output.rendered, snakemake.output.examples)
    print(rendered.blocks.groupby("source").size().to_string(), f"\nphotos: {len(rendered.labels)}")
