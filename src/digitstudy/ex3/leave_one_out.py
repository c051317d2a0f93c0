"""Leave one writers' set out: train the recogniser's recipe on everything else that is available
and read the set it never saw. One such training per writers' set (USPS, Semeion); the table
says how well the recipe carries to new writers, which a model trained on every set cannot show.
"""

from __future__ import annotations

import pandas as pd

from .model_card import accuracy_table
from .recogniser import RecogniserSettings, train_recogniser
from ..data.sets import WRITERS_SETS
from .training_data import TRAIN_SET_ORDER, assemble

COLUMNS = [
    "held_out",
    "available",
    "trained_on",
    "test_set",
    "images",
    "accuracy",
    "flagged",
    "accuracy_not_flagged",
    "unsure_below",
    "note",
]


def leave_one_out(held_out: str, splits: dict, provenance: dict, section: dict, side_by_side: int = 1) -> pd.DataFrame:
    """Rows of COLUMNS for one writers' set: trained on ex3.train_sets plus every other available
    writers' set, without `held_out`, then read on each of its splits. When `held_out` is not
    available, one row says so and nothing is trained. `side_by_side`: as for train_recogniser."""
    if f"{held_out}_provenance" not in provenance or not provenance[f"{held_out}_provenance"].get("available", True):
        warnings = "; ".join(provenance.get(f"{held_out}_provenance", {}).get("warnings", [])) or "not available"
        return pd.DataFrame([{"held_out": held_out, "available": False, "note": warnings}], columns=COLUMNS)
    others = [
        name
        for name in WRITERS_SETS
        if name != held_out and provenance.get(f"{name}_provenance", {}).get("available", False)
    ]
    train_sets = sorted({*section["train_sets"], *others} - {held_out}, key=TRAIN_SET_ORDER.index)
    data = assemble(
        splits,
        provenance,
        train_sets,
        repeats=section["extra_set_repeats"],
        limit=section["train_subset"],
        seed=section["seed"],
        pen_count=section["pen_digits"],
    )
    result = train_recogniser(
        data.train, RecogniserSettings.from_config(section), data.train_copies, data.train_variants, side_by_side
    )
    below = result.unsure["below"]
    tested = {name: split for name, split in data.evaluation.items() if name.split(" ")[0] == held_out}
    table = accuracy_table(result.model, tested, list(tested), below)
    return pd.DataFrame(
        [
            {
                "held_out": held_out,
                "available": True,
                "trained_on": " + ".join(data.train_sources),
                "test_set": name,
                "images": row["images"],
                "accuracy": row["accuracy"],
                "flagged": row["flagged"],
                "accuracy_not_flagged": row["accuracy_not_flagged"],
                "unsure_below": below,
                "note": "",
            }
            for name, row in table.items()
        ],
        columns=COLUMNS,
    )
