"""A trained recogniser on image files, all through the same preprocessing as in training (grading
submitted models: grading.py). Unreadable files, or files with no digit, get a row saying so.

- predict: image files or folders -> one row per file (digit, confidence, top-3, status)
- evaluate: a labelled folder DIR/<digit>/*.png|jpg|... -> accuracy, per-class accuracy, confusion
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from ..data.arrays import unit_scale
from .preprocess import IMAGE_SUFFIXES, UnreadableImage, preprocess_file

log = logging.getLogger(__name__)


class InputShapeError(ValueError):
    pass


def image_files(paths: list[str | Path]) -> list[Path]:
    """Files as given, and the image files inside given folders (sorted, recursively). Other
    files in the folders (not hidden ones) are named in a warning."""
    found, skipped = [], []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            found.extend(p for p in inside if p.suffix.lower() in IMAGE_SUFFIXES)
            skipped.extend(p for p in inside if p.suffix.lower() not in IMAGE_SUFFIXES)
        else:
            found.append(path)
    if skipped:
        more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        names = ", ".join(str(p) for p in skipped[:10]) + more
        why = f"not images in a readable format ({' '.join(IMAGE_SUFFIXES)})"
        log.warning("skipped %d file(s) that are %s: %s", len(skipped), why, names)
    return found


@dataclass
class Batch:
    """Preprocessed images of the files that gave a digit, and a status for every file."""

    files: list[Path]
    images: np.ndarray  # (n_ok, 28, 28) uint8
    ok: list[int]  # positions in `files` of the rows in `images`
    status: list[str]  # per file
    boxes: list  # per row of `images`: where the digit was found (fractions of the image)


def prepare(files: list[Path]) -> Batch:
    images, ok, status, boxes = [], [], [], []
    for position, path in enumerate(files):
        try:
            result = preprocess_file(path)
        except UnreadableImage as error:
            status.append(f"unreadable: {error}")
            continue
        status.append("ok" if result.image is not None else result.reason)
        if result.image is not None:
            images.append(result.image)
            boxes.append(result.box)
            ok.append(position)
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)
    return Batch(files, stacked, ok, status, boxes)


def to_model_input(images: np.ndarray, input_shape: tuple) -> np.ndarray:
    """(N, 28, 28) uint8 -> floats in [0, 1] shaped as the model expects."""
    x = unit_scale(images)
    expected = tuple(input_shape[1:])
    for candidate in (x, x[..., None], x.reshape(len(x), -1)):
        shape = candidate.shape[1:]
        if len(shape) == len(expected) and all(e is None or e == c for e, c in zip(expected, shape)):
            return candidate
    raise InputShapeError(f"expects input shape {input_shape}; submissions must take 28x28 grayscale digits")


def probabilities(model, images: np.ndarray) -> np.ndarray:
    shape = model.output_shape
    if not (isinstance(shape, tuple) and len(shape) == 2 and shape[-1] == 10):
        raise InputShapeError(f"has output shape {shape}; expected (None, 10): one probability per digit")
    if len(images) == 0:
        return np.zeros((0, 10), np.float32)
    return np.asarray(model.predict(to_model_input(images, model.input_shape), verbose=0, batch_size=256))


def predict_table(model, files: list[Path], unsure_below: float | None = None) -> tuple[pd.DataFrame, Batch]:
    """One row per file. `unsure` flags predictions whose confidence is below `unsure_below`
    (flagged, not dropped; never flagged when no threshold is known)."""
    batch = prepare(files)
    probs = probabilities(model, batch.images)
    rows = []
    for position, path in enumerate(files):
        row = dict(file=str(path), digit=None, confidence=None, unsure=False, top3="", status=batch.status[position])
        if position in batch.ok:
            p = probs[batch.ok.index(position)]
            order = np.argsort(-p)[:3]
            row.update(
                digit=int(order[0]),
                confidence=round(float(p[order[0]]), 4),
                unsure=bool(unsure_below is not None and p[order[0]] < unsure_below),
                top3=" ".join(f"{d}:{p[d]:.3f}" for d in order),
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=["file", "digit", "confidence", "unsure", "top3", "status"]), batch


def labelled_files(folder: str | Path) -> tuple[list[Path], np.ndarray]:
    """DIR/<digit>/<images> -> (files, labels)."""
    files, labels = [], []
    for digit in range(10):
        for path in image_files([Path(folder) / str(digit)]) if (Path(folder) / str(digit)).is_dir() else []:
            files.append(path)
            labels.append(digit)
    if not files:
        raise FileNotFoundError(f"{folder}: expected sub-folders 0..9 holding images ({', '.join(IMAGE_SUFFIXES)})")
    return files, np.asarray(labels)


@dataclass
class Evaluation:
    table: pd.DataFrame  # one row per file: file, label, digit, confidence, correct, status
    accuracy: float  # over all files: unreadable or no-digit files count as wrong
    per_class: pd.DataFrame
    confusion: np.ndarray
    batch: Batch


def evaluate(model, folder: str | Path, unsure_below: float | None = None) -> Evaluation:
    files, labels = labelled_files(folder)
    table, batch = predict_table(model, files, unsure_below)
    table.insert(1, "label", labels)
    table["correct"] = table.digit.to_numpy() == labels
    # Files without a prediction (unreadable, no digit) count as wrong but have no cell.
    found = table.digit.notna().to_numpy()
    confusion = confusion_matrix(labels[found], table.digit[found].astype(int), labels=list(range(10)))
    per_class = table.groupby("label").agg(images=("correct", "size"), correct=("correct", "sum")).reset_index()
    per_class["accuracy"] = per_class.correct / per_class.images
    return Evaluation(table, float(table.correct.mean()), per_class, confusion, batch)
