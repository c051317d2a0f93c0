"""Documentation of each dataset: a grid of example images per class and a counts table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plots.provenance import plt, stamp
from .arrays import NUM_CLASSES, Split


def pick_examples(split: Split, per_class: int, seed: int) -> dict[int, np.ndarray]:
    """Up to `per_class` random (seeded) indices of each class."""
    rng = np.random.default_rng(seed)
    picks = {}
    for digit in range(NUM_CLASSES):
        candidates = np.flatnonzero(split.labels == digit)
        picks[digit] = np.sort(rng.choice(candidates, size=min(per_class, len(candidates)), replace=False))
    return picks


def sample_grid(splits: dict[str, Split], provenance: dict, per_class: int, seed: int) -> plt.Figure:
    split_name = "train" if "train" in splits else next(iter(splits))
    split = splits[split_name]
    size = (0.75 * per_class + 0.6, 0.75 * NUM_CLASSES + 0.9)
    figure, axes = plt.subplots(NUM_CLASSES, per_class, figsize=size, squeeze=False)
    for axis in axes.flat:
        axis.set_axis_off()
    if not provenance.get("available", True) or len(split.labels) == 0:
        message = f"{provenance['dataset']} unavailable:\n" + "\n".join(provenance.get("warnings", []))
        figure.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=8)
    else:
        for digit, indices in pick_examples(split, per_class, seed).items():
            for column, index in enumerate(indices):
                image = split.images[index]
                axes[digit, column].imshow(image, cmap=None if image.ndim == 3 else "gray", vmin=0, vmax=255)
            axes[digit, 0].text(-0.3, 0.5, str(digit), transform=axes[digit, 0].transAxes, ha="right", va="center")
    figure.suptitle(f"{provenance['dataset']} ({split_name}): {per_class} random examples per class", y=0.975)
    figure.subplots_adjust(left=0.09, right=0.99, top=0.93, bottom=0.05, wspace=0.05, hspace=0.05)
    stamp(figure, provenance)
    return figure


def counts_table(provenances: list[dict]) -> pd.DataFrame:
    rows = [
        {
            "dataset": record["dataset"],
            "split": split_name,
            **{key: record[key] for key in ("available", "stand_in", "source")},
            "count": split["count"],
            **{f"class_{digit}": n for digit, n in enumerate(split["class_counts"])},
        }
        for record in provenances
        for split_name, split in record["splits"].items()
    ]
    return pd.DataFrame(rows)
