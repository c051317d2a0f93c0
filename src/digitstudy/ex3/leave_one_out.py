"""Leave one writers' set out: train the recogniser's recipe on everything else that is available
and read the set it never saw. One such training per writers' set (USPS, Semeion); the table
says how well the recipe carries to new writers, which a model trained on every set cannot show.
"""

from __future__ import annotations

import pandas as pd

from .model_card import accuracy_table
from .recogniser import RecogniserSettings, train_recogniser
from ..data.sets import WRITERS_SETS
from .training_data import TRAIN_SET_ORDER, assemble_for

SCORES = ["images", "accuracy", "flagged", "accuracy_not_flagged"]  # accuracy_table's, per test set
COLUMNS = ["held_out", "available", "trained_on", "test_set", *SCORES, "unsure_below", "note"]


def leave_one_out(held_out: str, splits: dict, provenance: dict, section: dict, side_by_side: int = 1) -> pd.DataFrame:
    """Rows of COLUMNS for one writers' set: trained on ex3.train_sets plus every other available
    writers' set, without `held_out`, then read on each of its splits. When `held_out` is not
    available, one row says so and nothing is trained. `side_by_side`: as for train_recogniser."""
    if f"{held_out}_provenance" not in provenance or not provenance[f"{held_out}_provenance"].get("available", True):
        warnings = "; ".join(provenance.get(f"{held_out}_provenance", {}).get("warnings", [])) or "not available"
        return pd.DataFrame([{"held_out": held_out, "available": False, "note": warnings}], columns=COLUMNS)
    available = {name for name in WRITERS_SETS if provenance.get(f"{name}_provenance", {}).get("available", False)}
    train_sets = sorted({*section["train_sets"], *available} - {held_out}, key=TRAIN_SET_ORDER.index)
    data = assemble_for(section, splits, provenance, train_sets)
    settings = RecogniserSettings.from_config(section)
    result = train_recogniser(data.train, settings, data.train_copies, data.train_variants, side_by_side)
    below = result.unsure["below"]
    tested = {name: split for name, split in data.evaluation.items() if name.split(" ")[0] == held_out}
    trained_on = " + ".join(data.train_sources)
    rows = [
        {"held_out": held_out, "available": True, "trained_on": trained_on, "test_set": name}
        | {key: row[key] for key in SCORES}
        | {"unsure_below": below, "note": ""}
        for name, row in accuracy_table(result.model, tested, list(tested), below).items()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
