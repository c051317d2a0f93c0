"""Grade submitted models: accuracy on a labelled folder, marks = 40 x accuracy / best.

Every submission is loaded through the allow-list (safe_load) and gets the same preprocessed
images; a refused one gets no marks and a reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .inference import InputShapeError, evaluate
from .safe_load import UnsafeModel, load_untrusted

MARKS = 40.0


def grade(submissions: list[Path], folder: str | Path) -> pd.DataFrame:
    """Every submission gets the same preprocessed images; refused ones get no marks."""
    rows = []
    for path in submissions:
        try:
            model = load_untrusted(path)
            accuracy = evaluate(model, folder).accuracy
            rows.append({"submission": path.name, "accuracy": accuracy, "status": "graded"})
        except (UnsafeModel, InputShapeError) as error:
            rows.append({"submission": path.name, "accuracy": None, "status": f"refused: {error}"})
    table = pd.DataFrame(rows, columns=["submission", "accuracy", "status"])
    best = table.accuracy.max()
    table["marks"] = [
        round(MARKS * a / best, 2) if a is not None and not pd.isna(a) and best and best > 0 else 0.0
        for a in table.accuracy
    ]
    return table
