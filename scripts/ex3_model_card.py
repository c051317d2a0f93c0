"""Snakemake adapter: the recogniser's model card = what training recorded + the photo benchmark."""

import json

import pandas as pd

from digitstudy.ex3.model_card import card_markdown
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    with open(snakemake.input.training) as handle:
        training = json.load(handle)
    with open(snakemake.input.photo_benchmark) as handle:
        benchmark = json.load(handle)
    card = {**training, "photo_benchmark": benchmark}
    if snakemake.input.leave_one_out:
        table = pd.read_csv(snakemake.input.leave_one_out)
        card["leave_one_out"] = json.loads(table.to_json(orient="records"))
    with open(snakemake.output.json, "w") as handle:
        json.dump(card, handle, indent=2)
    with open(snakemake.output.markdown, "w") as handle:
        handle.write(card_markdown(card))
    print(f"model card with photo benchmark: overall {benchmark['overall_accuracy']:.4f}")
