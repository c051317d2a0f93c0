"""Snakemake adapter: train the digit recogniser and write its model card."""

import json
from pathlib import Path

from digitstudy.runtime import log_to
from digitstudy.keras_setup import configure_job

with log_to(snakemake.log[0]):
    section = snakemake.params.settings
    # The ensemble's networks side by side, one thread per operation: threads sharing an operation wait
    # for each other, and an epoch took twice as long whenever another process held a core (README, "Speed").
    configure_job(snakemake, section["seed"], section["keras_backend"], threads_per_op=1)

    from digitstudy.data.arrays import read_datasets
    from digitstudy.ex3.model_card import build_card
    from digitstudy.ex3.recogniser import RecogniserSettings, train_recogniser
    from digitstudy.ex3.training_data import assemble_for

    splits, provenance = read_datasets(dict(snakemake.input.items()))
    data = assemble_for(section, splits, provenance, section["train_sets"])
    settings = RecogniserSettings.from_config(section)
    result = train_recogniser(data.train, settings, data.train_copies, data.train_variants, snakemake.threads)
    result.model.save(snakemake.output.h5)
    result.model.save(snakemake.output.keras)
    result.history.to_csv(snakemake.output.history, index=False)
    card = build_card(result, data, settings, provenance)
    # The model card is completed with the photo benchmark's numbers by rule ex3_model_card.
    Path(snakemake.output.card).write_text(json.dumps(card, indent=2))
    print(json.dumps(card["accuracy"], indent=2))
