"""Snakemake adapter: the recogniser's model card = what training recorded + the photo benchmark."""

import json
from pathlib import Path

import pandas as pd

from digitstudy.ex3.model_card import card_markdown
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    benchmark = json.loads(Path(snakemake.input.photo_benchmark).read_text())
    card = {**json.loads(Path(snakemake.input.training).read_text()), "photo_benchmark": benchmark}
    if snakemake.input.leave_one_out:
        table = pd.read_csv(snakemake.input.leave_one_out)
        card["leave_one_out"] = json.loads(table.to_json(orient="records"))
    Path(snakemake.output.json).write_text(json.dumps(card, indent=2))
    Path(snakemake.output.markdown).write_text(card_markdown(card))
    print(f"model card with photo benchmark: overall {benchmark['overall_accuracy']:.4f}")
