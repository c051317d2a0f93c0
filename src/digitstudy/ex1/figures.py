"""Exercise 1 figures: test scores, learning curves and the layer-depth vs max-gradient grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..plots.provenance import plt, stamp

COLOURS = {"relu": "#1b9e77", "tanh": "#d95f02", "sigmoid": "#7570b3", "lecun": "#e7298a"}


def _colour(activation: str) -> str:
    return COLOURS.get(activation, "#666666")


def _stamped(figure: plt.Figure, provenance: dict, bottom: float = 0.04) -> plt.Figure:
    figure.tight_layout(rect=(0, bottom, 1, 1))
    stamp(figure, provenance)
    return figure


def scores_chart(table: pd.DataFrame, chance: float, provenance: dict) -> plt.Figure:
    activations = list(dict.fromkeys(table.activation))
    depths = sorted(table.depth.unique())
    width = 0.8 / len(activations)
    figure, axis = plt.subplots(figsize=(8.5, 4))
    for i, activation in enumerate(activations):
        rows = table[table.activation == activation].set_index("depth").reindex(depths)
        x = np.arange(len(depths)) + (i - (len(activations) - 1) / 2) * width
        axis.bar(
            x, rows.accuracy_mean, width, yerr=rows.accuracy_std, capsize=3, color=_colour(activation), label=activation
        )
    axis.axhline(chance, color="black", linestyle="--", linewidth=1, label=f"most frequent digit ({chance:.4f})")
    axis.set_xticks(np.arange(len(depths)), [f"{d} hidden layers" for d in depths])
    axis.set_ylabel("test accuracy (mean ± std over seeds)")
    axis.set_ylim(0, 1)
    # Beside the axes: inside, it covers bars (accurate ones reach to the top, failed ones stay low).
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    axis.set_title(f"MNIST test accuracy by depth and activation ({int(table.seeds.max())} seeds)")
    return _stamped(figure, provenance)


def _band(axis, frame: pd.DataFrame, column: str, colour: str, style: str, label: str) -> None:
    stats = frame.groupby("epoch")[column].agg(["mean", "std"]).fillna(0.0)
    axis.plot(stats.index, stats["mean"], style, color=colour, label=label, linewidth=1.2)
    axis.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=colour, alpha=0.2)


def learning_curves(histories: pd.DataFrame, metric: str, provenance: dict) -> plt.Figure:
    """Rows: activations, columns: depths; train (solid) and validation (dashed), mean ± std."""
    activations = list(dict.fromkeys(histories.activation))
    depths = sorted(histories.depth.unique())
    size = (3.2 * len(depths), 2.4 * len(activations) + 0.6)
    figure, axes = plt.subplots(len(activations), len(depths), figsize=size, sharex=True, sharey=True, squeeze=False)
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
    return _stamped(figure, provenance)


def gradient_grid(gradients: pd.DataFrame, epoch: int, provenance: dict, activations: list[str] | None = None):
    """One subplot per depth, activations overlaid: max |dL/dW| per layer, log scale. The summary
    over seeds is in log space: the line is the mean of log10 max|g| (a geometric mean), the band
    +- one standard deviation of it."""
    rows = gradients[(gradients.epoch == epoch) & (gradients.param == "kernel")]
    if activations is not None:
        rows = rows[rows.activation.isin(activations)]
    depths = sorted(rows.depth.unique())
    figure, axes = plt.subplots(1, len(depths), figsize=(4.2 * len(depths), 3.6), squeeze=False)
    for axis, depth in zip(axes[0], depths):
        for activation in dict.fromkeys(rows.activation):
            runs = rows[(rows.activation == activation) & (rows.depth == depth) & (rows.max_abs > 0)]
            if runs.empty:
                continue
            logs = np.log10(runs.max_abs).groupby(runs.layer).agg(["mean", "std"]).fillna(0.0)
            axis.plot(logs.index, 10 ** logs["mean"], "-o", markersize=2.5, color=_colour(activation), label=activation)
            low, high = 10 ** (logs["mean"] - logs["std"]), 10 ** (logs["mean"] + logs["std"])
            axis.fill_between(logs.index, low, high, color=_colour(activation), alpha=0.2)
        axis.set_yscale("log")
        axis.set_title(f"{depth} hidden layers (+ output layer {depth + 1})", fontsize=9)
        axis.set_xlabel("layer depth (1 = first hidden layer)")
        axis.grid(True, which="major", alpha=0.3)
    axes[0, 0].set_ylabel("max |dL/dW| on the fixed mini-batch")
    axes[0, 0].legend(fontsize=8)
    when = "at initialisation (untrained)" if epoch == 0 else f"after {epoch} epoch{'s' if epoch > 1 else ''}"
    figure.suptitle(f"Layer depth vs max gradient, {when}; mean ± std of log10 over seeds")
    return _stamped(figure, provenance, bottom=0.05)


def activation_functions() -> plt.Figure:
    """Every activation and its analytic derivative on [-6, 6]."""
    from .activations import DERIVATIVES, FUNCTIONS, NAMES

    x = np.linspace(-6, 6, 1201)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name in NAMES:
        left.plot(x, FUNCTIONS[name](x), color=_colour(name), label=name)
        right.plot(x, DERIVATIVES[name](x), color=_colour(name), label=name)
    left.set_title("f(x)")
    right.set_title("f'(x)")
    for axis in (left, right):
        axis.axhline(0, color="0.7", linewidth=0.8)
        axis.axvline(0, color="0.7", linewidth=0.8)
        axis.set_xlabel("x")
        axis.grid(alpha=0.3)
    left.legend(fontsize=8)
    figure.tight_layout()
    return figure


def lecun_vs_baseline_curves(histories: pd.DataFrame, provenance: dict, baseline: str = "tanh") -> plt.Figure:
    """Rows: accuracy, loss; columns: depths; LeCun vs baseline, train solid, validation dashed."""
    runs = histories[histories.activation.isin(["lecun", baseline])]
    depths = sorted(set(runs[runs.activation == "lecun"].depth) & set(runs[runs.activation == baseline].depth))
    figure, axes = plt.subplots(2, len(depths), figsize=(3.4 * len(depths), 5.4), sharex=True, squeeze=False)
    for c, depth in enumerate(depths):
        for r, metric in enumerate(["accuracy", "loss"]):
            axis = axes[r, c]
            for activation in (baseline, "lecun"):
                subset = runs[(runs.activation == activation) & (runs.depth == depth)]
                _band(axis, subset, metric, _colour(activation), "-", f"{activation} train")
                _band(axis, subset, f"val_{metric}", _colour(activation), "--", f"{activation} validation")
            if metric == "loss":
                axis.set_yscale("log")
                axis.set_xlabel("epoch")
                axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            else:
                axis.set_title(f"{depth} hidden layers", fontsize=9)
            if c == 0:
                axis.set_ylabel(metric)
    axes[0, 0].legend(fontsize=7)
    figure.suptitle(f"LeCun vs {baseline}: learning curves (mean ± std over seeds)")
    return _stamped(figure, provenance)
