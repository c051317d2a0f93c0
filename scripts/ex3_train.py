"""Snakemake adapter: train the digit recogniser and write its model card."""

import json
from pathlib import Path

from digitstudy.runtime import log_to
from digitstudy.keras_setup import configure_keras

with log_to(snakemake.log[0]):
    section = snakemake.params.settings
    # The ensemble's networks side by side, one thread per operation: threads sharing an operation wait
    # for each other, and an epoch took twice as long whenever another process held a core (README, "Speed").
    gpus = snakemake.resources.get("gpu", 0)
    configure_keras(snakemake.threads, section["seed"], section["keras_backend"], threads_per_op=1, gpus=gpus)

    from digitstudy.data.arrays import load_splits, read_provenance
    from digitstudy.ex3.model_card import build_card
    from digitstudy.ex3.recogniser import RecogniserSettings, train_recogniser
    from digitstudy.ex3.training_data import assemble_for

    provenance = {name: read_provenance(path) for name, path in snakemake.input.items() if name.endswith("_provenance")}
    splits = {name: load_splits(path) for name, path in snakemake.input.items() if name.endswith("_arrays")}
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
