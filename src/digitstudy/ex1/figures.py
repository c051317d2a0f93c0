"""Exercise 1 figures: test scores, learning curves and the layer-depth vs max-gradient grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matplotlib.ticker import MaxNLocator

from ..plots.provenance import plt, stamp

COLOURS = {"relu": "#1b9e77", "tanh": "#d95f02", "sigmoid": "#7570b3", "lecun": "#e7298a"}


def _colour(activation: str) -> str:
    return COLOURS.get(activation, "#666666")


def scores_chart(table: pd.DataFrame, chance: float, provenance: dict) -> plt.Figure:
    activations = list(dict.fromkeys(table.activation))
    depths = sorted(table.depth.unique())
    width = 0.8 / len(activations)
    figure, axis = plt.subplots(figsize=(7, 4))
    for i, activation in enumerate(activations):
        rows = table[table.activation == activation].set_index("depth").reindex(depths)
        positions = np.arange(len(depths)) + (i - (len(activations) - 1) / 2) * width
        axis.bar(positions, rows.accuracy_mean, width, yerr=rows.accuracy_std, capsize=3,
                 color=_colour(activation), label=activation)
    axis.axhline(chance, color="black", linestyle="--", linewidth=1, label=f"most frequent digit ({chance:.4f})")
    axis.set_xticks(np.arange(len(depths)), [f"{d} hidden layers" for d in depths])
    axis.set_ylabel("test accuracy (mean ± std over seeds)")
    axis.set_ylim(0, 1)
    axis.legend(fontsize=8, loc="lower left")
    seeds = int(table.seeds.max())
    axis.set_title(f"MNIST test accuracy by depth and activation ({seeds} seeds)")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    stamp(figure, provenance)
    return figure


def _band(axis, frame: pd.DataFrame, column: str, colour: str, style: str, label: str) -> None:
    stats = frame.groupby("epoch")[column].agg(["mean", "std"]).fillna(0.0)
    axis.plot(stats.index, stats["mean"], style, color=colour, label=label, linewidth=1.2)
    axis.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=colour, alpha=0.2)


def learning_curves(histories: pd.DataFrame, metric: str, provenance: dict) -> plt.Figure:
    """Rows: activations, columns: depths; train (solid) and validation (dashed), mean ± std."""
    activations = list(dict.fromkeys(histories.activation))
    depths = sorted(histories.depth.unique())
    figure, axes = plt.subplots(len(activations), len(depths), figsize=(3.2 * len(depths), 2.4 * len(activations) + 0.6),
                                sharex=True, sharey=True, squeeze=False)
    for r, activation in enumerate(activations):
        for c, depth in enumerate(depths):
            axis = axes[r, c]
            runs = histories[(histories.activation == activation) & (histories.depth == depth)]
            _band(axis, runs, metric, _colour(activation), "-", "train")
            _band(axis, runs, f"val_{metric}", _colour(activation), "--", "validation")
            axis.set_title(f"{activation}, {depth} hidden layers", fontsize=9)
            if metric == "loss":
                axis.set_yscale("log")
            if c == 0:
                axis.set_ylabel(metric)
            if r == len(activations) - 1:
                axis.set_xlabel("epoch")
                axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=7)
    figure.suptitle(f"Learning curves ({metric}; mean ± std over seeds)")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    stamp(figure, provenance)
    return figure


def gradient_grid(gradients: pd.DataFrame, epoch: int, provenance: dict, param: str = "kernel") -> plt.Figure:
    """One subplot per depth, activations overlaid: max |dL/dW| per layer, log scale.

    Line: geometric mean over seeds; band: min to max over seeds.
    """
    rows = gradients[(gradients.epoch == epoch) & (gradients.param == param)]
    depths = sorted(gradients.depth.unique())
    figure, axes = plt.subplots(1, len(depths), figsize=(4.2 * len(depths), 3.6), squeeze=False)
    for axis, depth in zip(axes[0], depths):
        for activation in dict.fromkeys(gradients.activation):
            runs = rows[(rows.activation == activation) & (rows.depth == depth)]
            if runs.empty:
                continue
            positive = runs[runs.max_abs > 0]
            stats = positive.groupby("layer").max_abs.agg(
                geomean=lambda v: float(np.exp(np.mean(np.log(v)))), low="min", high="max"
            )
            axis.plot(stats.index, stats.geomean, "-o", markersize=2.5, color=_colour(activation), label=activation)
            axis.fill_between(stats.index, stats.low, stats.high, color=_colour(activation), alpha=0.2)
        axis.set_yscale("log")
        axis.set_title(f"{depth} hidden layers (+ output layer {depth + 1})", fontsize=9)
        axis.set_xlabel("layer depth (1 = first hidden layer)")
        axis.grid(True, which="major", alpha=0.3)
    axes[0, 0].set_ylabel(f"max |dL/d{'W' if param == 'kernel' else 'b'}| on the fixed mini-batch")
    axes[0, 0].legend(fontsize=8)
    when = "at initialisation" if epoch == 0 else f"after {epoch} epoch{'s' if epoch > 1 else ''}"
    figure.suptitle(f"Layer depth vs max gradient, {when} (geometric mean; band: min-max over seeds)")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    stamp(figure, provenance)
    return figure
