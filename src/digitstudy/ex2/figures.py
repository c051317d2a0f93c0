"""Exercise 2 figures: training curves, confusion matrix, feature-map grids, first-layer kernels.

Every figure carries the SVHN provenance footer and, for the stand-in, a red banner.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..plots.provenance import plt, stamp


def training_curves(history: pd.DataFrame, best_epoch: int, provenance: dict) -> plt.Figure:
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for axis, metric in zip(axes, ["loss", "accuracy"]):
        axis.plot(history.epoch, history[metric], "-o", markersize=3, label="train")
        axis.plot(history.epoch, history[f"val_{metric}"], "--o", markersize=3, label="validation")
        axis.axvline(best_epoch, color="0.4", linestyle=":", label=f"best epoch ({best_epoch})")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.tight_layout(rect=(0, 0.05, 1, 0.94))
    stamp(figure, provenance)
    return figure


def confusion_figure(matrix: np.ndarray, provenance: dict) -> plt.Figure:
    """Counts (left) and rows normalised to 1 (right: each true class's recall on the diagonal)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    normalised = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(1, 2, figsize=(11, 5))
    for axis, values, title, fmt in (
        (axes[0], matrix, "counts", "d"),
        (axes[1], normalised, "row-normalised (share of each true class)", ".2f"),
    ):
        display = ConfusionMatrixDisplay(values, display_labels=range(10))
        display.plot(ax=axis, cmap="Blues", values_format=fmt, colorbar=False, text_kw={"fontsize": 6.5})
        figure.colorbar(display.im_, ax=axis, fraction=0.046)
        axis.set_xlabel("predicted digit")
        axis.set_ylabel("true digit")
        axis.set_title(title, fontsize=10)
    figure.suptitle(f"Confusion matrix on the {matrix.sum():,} test images", y=0.93)
    figure.tight_layout(rect=(0, 0.04, 1, 0.93))
    stamp(figure, provenance)
    return figure


def _grid(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def _min_max(values: np.ndarray) -> np.ndarray:
    """Scaled from its minimum (0) to its maximum (1); a constant array gives 0."""
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def feature_maps_figure(
    image: np.ndarray, maps: dict[str, np.ndarray], digit: int, index: int, provenance: dict
) -> plt.Figure:
    """The input image, then every filter's output of every conv layer, one grid per layer.

    Each map is scaled on its own from its minimum (black) to its maximum (white), so the
    pattern of every filter is visible whatever its magnitude; a constant map is drawn black.
    """
    layers = list(maps)
    figure = plt.figure(figsize=(3 + 4.2 * len(layers), 5.2))
    outer = figure.add_gridspec(1, len(layers) + 1, width_ratios=[0.7] + [1] * len(layers), wspace=0.15)
    axis = figure.add_subplot(outer[0])
    axis.imshow(image)
    axis.set_title(f"input: test image {index}\n(true digit {digit})", fontsize=9)
    axis.set_axis_off()
    for position, name in enumerate(layers, start=1):
        activation = maps[name]
        rows, columns = _grid(activation.shape[-1])
        inner = outer[position].subgridspec(rows, columns, wspace=0.05, hspace=0.05)
        for f in range(activation.shape[-1]):
            ax = figure.add_subplot(inner[f // columns, f % columns])
            ax.imshow(_min_max(activation[..., f]), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        box = outer[position].get_position(figure)
        title = f"{name}: {activation.shape[-1]} maps of {activation.shape[0]}x{activation.shape[1]}"
        figure.text((box.x0 + box.x1) / 2, box.y1 + 0.02, title, ha="center", fontsize=9)
    stamp(figure, provenance, extra="each map scaled min (black) to max (white) on its own")
    return figure


def kernels_figure(kernels: np.ndarray, provenance: dict) -> plt.Figure:
    """First-layer kernels (k x k x 3 x filters) as RGB patches, each scaled min-max on its own."""
    count = kernels.shape[-1]
    figure, axes = plt.subplots(1, count, figsize=(1.2 * count, 2.0), squeeze=False)
    for f, axis in enumerate(axes[0]):
        axis.imshow(_min_max(kernels[..., f]), interpolation="nearest")
        axis.set_title(f"filter {f + 1}", fontsize=7)
        axis.set_axis_off()
    figure.suptitle("First convolutional layer: learned kernels (RGB, each scaled min-max)", fontsize=9, y=0.88)
    figure.tight_layout(rect=(0, 0.12, 1, 0.85))
    stamp(figure, provenance)
    return figure
