"""One training run on disk: model (.h5 and .keras), history, metrics and gradients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .grid import AXES

if TYPE_CHECKING:  # only for annotations: collecting runs needs no TensorFlow
    from .train import TrainResult


def save_run(result: TrainResult, out) -> None:
    """`out`: the paths by name (h5, keras, history, metrics, gradients), e.g. snakemake.output."""
    result.model.save(out.h5)
    result.model.save(out.keras)
    result.history.to_csv(out.history, index=False)
    result.gradients.to_csv(out.gradients, index=False)
    Path(out.metrics).write_text(json.dumps(result.metrics, indent=2) + "\n")


def collect_metrics(paths: list[str]) -> pd.DataFrame:
    keys = [*AXES, "learning_rate", "depth", "seed"]
    columns = [*keys, "test_accuracy", "test_loss", "epochs", "diverged", "train_seconds"]
    rows = [json.loads(Path(p).read_text()) for p in paths]
    return pd.DataFrame(rows)[columns].sort_values(keys).reset_index(drop=True)


def collect_csvs(paths: list[str], keys: list[dict] | None = None) -> pd.DataFrame:
    frames = []
    for index, path in enumerate(paths):
        frame = pd.read_csv(path)
        for key, value in reversed((keys[index] if keys else {}).items()):
            frame.insert(0, key, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
