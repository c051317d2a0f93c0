"""Contact sheets (raw image, its 28x28 preprocessed version, the prediction) and mistake galleries."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..plots.provenance import plt
from .inference import Batch
from .preprocess import UnreadableImage, read_gray


def contact_sheet(table: pd.DataFrame, batch: Batch, title: str, columns: int = 6, limit: int = 120) -> plt.Figure:
    """One cell per file: raw (left, with the box where the digit was found), preprocessed 28x28
    (right), prediction or status below."""
    rows_shown = table.head(limit)
    rows = math.ceil(max(len(rows_shown), 1) / columns)
    figure, axes = plt.subplots(rows, 2 * columns, figsize=(2.4 * columns, 1.55 * rows + 0.6), squeeze=False)
    for axis in axes.flat:
        axis.set_axis_off()
    for position, row in enumerate(rows_shown.itertuples()):
        r, c = divmod(position, columns)
        raw_axis, pre_axis = axes[r, 2 * c], axes[r, 2 * c + 1]
        thumbnail = raw_thumbnail(Path(row.file))
        if thumbnail is not None:
            raw_axis.imshow(thumbnail, cmap="gray", vmin=0, vmax=255)
        file_position = list(map(str, batch.files)).index(row.file)
        if file_position in batch.ok:
            index = batch.ok.index(file_position)
            pre_axis.imshow(batch.images[index], cmap="gray", vmin=0, vmax=255)
            box = batch.boxes[index]
            if thumbnail is not None and box is not None:
                # Where the digit was found: the crop that became the 28x28 image.
                height, width = thumbnail.shape
                top, left, bottom, right = box
                corner = (left * width - 0.5, top * height - 0.5)
                size = ((right - left) * width, (bottom - top) * height)
                raw_axis.add_patch(plt.Rectangle(corner, *size, fill=False, edgecolor="#00a0ff", lw=1))
        if row.status == "ok":
            label = f"{int(row.digit)} ({row.confidence:.2f}{', unsure' if getattr(row, 'unsure', False) else ''})"
            if hasattr(row, "label"):
                label = f"true {row.label} -> {label}"
            colour = "black" if not hasattr(row, "correct") or row.correct else "#b00020"
        else:
            label, colour = row.status.split(":")[0][:28], "#b00020"
        raw_axis.set_title(Path(row.file).name[:22], fontsize=6)
        pre_axis.set_title(label, fontsize=7, color=colour)
    suffix = f" (first {limit} of {len(table)})" if len(table) > limit else ""
    figure.suptitle(title + suffix, fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    return figure


def mistakes_gallery(evaluation_table: pd.DataFrame, batch: Batch, limit: int = 60) -> plt.Figure:
    wrong = evaluation_table[~evaluation_table.correct.astype(bool)]
    if wrong.empty:
        figure = plt.figure(figsize=(4, 1))
        figure.text(0.5, 0.5, "no mistakes", ha="center", va="center")
        return figure
    return contact_sheet(wrong, batch, f"Mistakes: {len(wrong)} of {len(evaluation_table)} images", limit=limit)


def confusion_counts(matrix: np.ndarray, title: str) -> plt.Figure:
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axis = plt.subplots(figsize=(5.2, 4.6))
    display = ConfusionMatrixDisplay(matrix, display_labels=range(10))
    display.plot(ax=axis, cmap="Blues", values_format="d", colorbar=False, text_kw={"fontsize": 7})
    figure.colorbar(display.im_, ax=axis, fraction=0.046)
    axis.set_xlabel("predicted digit")
    axis.set_ylabel("true digit")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure


def raw_thumbnail(path: Path, size: int = 96) -> np.ndarray | None:
    try:
        gray = read_gray(path)
    except UnreadableImage:
        return None
    scale = size / max(gray.shape)
    shape = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, shape, interpolation=cv2.INTER_AREA)


def photo_examples_figure(examples: dict) -> plt.Figure:
    """One simulated photo per condition, a combined one and one without a digit (`examples`:
    name -> (decoded gray, its 28x28)), next to the 28x28 image the network was given."""
    columns = 4
    rows = math.ceil(len(examples) / columns)
    figure, axes = plt.subplots(rows, 2 * columns, figsize=(2.2 * columns, 1.5 * rows + 0.5), squeeze=False)
    for axis in axes.flat:
        axis.set_axis_off()
    for position, (name, pair) in enumerate(examples.items()):
        r, c = divmod(position, columns)
        for axis, picture, title in zip(axes[r, 2 * c : 2 * c + 2], pair, (name, "28x28")):
            axis.imshow(picture, cmap="gray", vmin=0, vmax=255)
            axis.set_title(title, fontsize=6)
    figure.suptitle("Photo benchmark: one simulated photo per condition and what the network saw", fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    return figure
