"""Snakemake adapter: score the recogniser on the photo benchmark's rendered photos (and on a
labelled folder of real photos, when configured), with the unsure threshold its training chose."""

import json
from pathlib import Path

from digitstudy.runtime import log_to
from digitstudy.keras_setup import configure_job

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    configure_job(snakemake, settings["seed"], snakemake.params.backend)

    from digitstudy.ex3.outputs import write_scores
    from digitstudy.ex3.photo_benchmark import RenderedBenchmark, score
    from digitstudy.ex3.safe_load import load_untrusted

    unsure_below = (json.loads(Path(snakemake.input.card).read_text()).get("unsure") or {}).get("below", 0.0)
    result = score(
        load_untrusted(snakemake.input.model),
        RenderedBenchmark.load(snakemake.input.rendered),
        photos_folder=settings["photos"],
        unsure_below=unsure_below,
    )
    write_scores(
        result, snakemake.output.table, snakemake.output.summary, settings["digits_per_condition"], settings["seed"]
    )
