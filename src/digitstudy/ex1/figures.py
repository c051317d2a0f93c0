"""Exercise 1 figures: test scores, learning curves and the layer-depth vs max-gradient grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from ..plots.provenance import plt, stamp
from .activations import ACTIVATIONS
from .analysis import setup_labels, varying_axes, with_axes

COLOURS = {"relu": "#1b9e77", "tanh": "#d95f02", "sigmoid": "#7570b3", "lecun": "#e7298a"}
# Every other activation gets one by its place in ACTIVATIONS, so the same one in every figure:
# tab20's dark then light shades without the hues COLOURS has (orange, green, purple, pink), then
# tab20b's: a distinct colour for each.
_OTHER_COLOURS = [
    *(plt.cm.tab20.colors[i] for i in (0, 6, 10, 14, 16, 18, 1, 7, 11, 15, 17, 19)),
    *plt.cm.tab20b.colors[::2],
    *plt.cm.tab20b.colors[1::2],
]


def _colour(activation: str) -> str:
    others = [a for a in ACTIVATIONS if a not in COLOURS]
    if activation in others:
        return to_hex(_OTHER_COLOURS[others.index(activation) % len(_OTHER_COLOURS)])
    return COLOURS.get(activation, "#666666")


def _stamped(figure: plt.Figure, provenance: dict, bottom: float = 0.04) -> plt.Figure:
    figure.tight_layout(rect=(0, bottom, 1, 1))
    stamp(figure, provenance)
    return figure


def _setups(frame: pd.DataFrame) -> tuple[pd.Series, dict]:
    """Each row's setup label (analysis.setup_labels), and a colour per label that ignores the
    optimiser (each optimiser has its own panels): the activation's where every activation comes
    with one initialiser, else one per (activation, initialiser)."""
    labels = setup_labels(frame)
    axes = [axis for axis in varying_axes(frame) if axis != "optimizer"]
    first = frame.assign(setup=labels, colour_key=setup_labels(frame, axes)).drop_duplicates("setup")
    keys = list(dict.fromkeys(first.colour_key))
    by_activation = first.drop_duplicates("colour_key").activation.is_unique
    palette = plt.cm.tab10.colors if len(keys) <= 10 else plt.cm.tab20.colors
    colour = {k: _colour(k.split(", ")[0]) if by_activation else palette[i % len(palette)] for i, k in enumerate(keys)}
    return labels, {label: colour[key] for label, key in zip(first.setup, first.colour_key)}


def _facets(frame: pd.DataFrame) -> list:
    """One panel per optimiser where the grid has several, else one panel (None)."""
    return list(dict.fromkeys(frame.optimizer)) if frame.optimizer.nunique() > 1 else [None]


def scores_chart(table: pd.DataFrame, chance: float, provenance: dict) -> plt.Figure:
    table = with_axes(table)
    labels, colours = _setups(table)
    depths, facets, seeds = sorted(table.depth.unique()), _facets(table), int(table.seeds.max())
    figure, panels = plt.subplots(1, len(facets), figsize=(8.5 * len(facets), 4), sharey=True, squeeze=False)
    for axis, facet in zip(panels[0], facets):
        shown = table.optimizer == facet if facet else np.ones(len(table), bool)
        setups = list(dict.fromkeys(labels[shown]))
        width = 0.8 / len(setups)
        for i, setup in enumerate(setups):
            rows = table[shown & (labels == setup)].set_index("depth").reindex(depths)
            x = np.arange(len(depths)) + (i - (len(setups) - 1) / 2) * width
            axis.bar(x, rows.accuracy_mean, width, yerr=rows.accuracy_std, capsize=3, color=colours[setup], label=setup)
        axis.axhline(chance, color="black", linestyle="--", linewidth=1, label=f"most frequent digit ({chance:.4f})")
        axis.set_xticks(np.arange(len(depths)), [f"{d} hidden layers" for d in depths])
        axis.set_ylim(0, 1)
        # Beside the axes: inside, it covers bars (accurate ones reach to the top, failed ones stay low).
        axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
        by = f"depth and {'setup' if len(labels.unique()) > table.activation.nunique() else 'activation'}"
        axis.set_title(
            f"MNIST test accuracy by {by} ({seeds} seed{'s' if seeds > 1 else ''})" + (f", {facet}" if facet else "")
        )
    panels[0, 0].set_ylabel("test accuracy (mean ± std over seeds)")
    return _stamped(figure, provenance)


def _band(axis, frame: pd.DataFrame, column: str, colour: str, style: str, label: str) -> None:
    stats = frame.groupby("epoch")[column].agg(["mean", "std"]).fillna(0.0)
    axis.plot(stats.index, stats["mean"], style, color=colour, label=label, linewidth=1.2)
    axis.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=colour, alpha=0.2)


def learning_curves(histories: pd.DataFrame, metric: str, provenance: dict) -> plt.Figure:
    """Rows: setups, columns: depths; train (solid) and validation (dashed), mean ± std."""
    histories = with_axes(histories)
    labels, colours = _setups(histories)
    setups, depths = list(dict.fromkeys(labels)), sorted(histories.depth.unique())
    size = (3.2 * len(depths), 2.4 * len(setups) + 0.6)
    figure, axes = plt.subplots(len(setups), len(depths), figsize=size, sharex=True, sharey=True, squeeze=False)
    for r, setup in enumerate(setups):
        for c, depth in enumerate(depths):
            axis = axes[r, c]
            runs = histories[(labels == setup) & (histories.depth == depth)]
            _band(axis, runs, metric, colours[setup], "-", "train")
            _band(axis, runs, f"val_{metric}", colours[setup], "--", "validation")
            axis.set_title(f"{setup}, {depth} hidden layers", fontsize=9)
            if metric == "loss":
                axis.set_yscale("log")
            if c == 0:
                axis.set_ylabel(metric)
            if r == len(setups) - 1:
                axis.set_xlabel("epoch")
                axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=7)
    figure.suptitle(f"Learning curves ({metric}; mean ± std over seeds)")
    return _stamped(figure, provenance)


def gradient_grid(gradients: pd.DataFrame, epoch: int, provenance: dict, activations: list[str] | None = None):
    """One subplot per depth (and a row per optimiser where there are several), setups overlaid:
    max |dL/dW| per layer, log scale. The summary over seeds is in log space: the line is the mean
    of log10 max|g| (a geometric mean), the band +- one standard deviation of it."""
    rows = with_axes(gradients[(gradients.epoch == epoch) & (gradients.param == "kernel")])
    if activations is not None:
        rows = rows[rows.activation.isin(activations)]
    labels, colours = _setups(rows)
    depths, facets = sorted(rows.depth.unique()), _facets(rows)
    size = (4.2 * len(depths), 3.6 * len(facets))
    figure, axes = plt.subplots(len(facets), len(depths), figsize=size, squeeze=False)
    for r, facet in enumerate(facets):
        for axis, depth in zip(axes[r], depths):
            for setup in dict.fromkeys(labels[rows.optimizer == facet] if facet else labels):
                runs = rows[(labels == setup) & (rows.depth == depth) & (rows.max_abs > 0)]
                if runs.empty:
                    continue
                logs = np.log10(runs.max_abs).groupby(runs.layer).agg(["mean", "std"]).fillna(0.0)
                axis.plot(logs.index, 10 ** logs["mean"], "-o", markersize=2.5, color=colours[setup], label=setup)
                low, high = 10 ** (logs["mean"] - logs["std"]), 10 ** (logs["mean"] + logs["std"])
                axis.fill_between(logs.index, low, high, color=colours[setup], alpha=0.2)
            axis.set_yscale("log")
            title = f"{depth} hidden layers (+ output layer {depth + 1})"
            axis.set_title(f"{title}, {facet}" if facet else title, fontsize=9)
            axis.set_xlabel("layer depth (1 = first hidden layer)")
            axis.grid(True, which="major", alpha=0.3)
        axes[r, 0].set_ylabel("max |dL/dW| on the fixed mini-batch")
        axes[r, 0].legend(fontsize=8)
    when = "at initialisation (untrained)" if epoch == 0 else f"after {epoch} epoch{'s' if epoch > 1 else ''}"
    figure.suptitle(f"Layer depth vs max gradient, {when}; mean ± std of log10 over seeds")
    return _stamped(figure, provenance, bottom=0.05)


def activation_functions(activations: list[str], curves, backend: str) -> plt.Figure:
    """f and f' of each activation on [-6, 6]. `curves(name, x)` gives both, f' by automatic
    differentiation on the Keras backend `backend` (keras_activations.curves), passed in because
    this module runs without Keras."""
    x = np.linspace(-6, 6, 1201)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name in dict.fromkeys(activations):
        f, f_prime = curves(name, x)
        left.plot(x, f, color=_colour(name), label=name, linewidth=1.2)
        right.plot(x, f_prime, color=_colour(name), label=name, linewidth=1.2)
    left.set_title("f(x)")
    right.set_title(f"f'(x), automatic differentiation on {backend}")
    for axis in (left, right):
        axis.axhline(0, color="0.7", linewidth=0.8)
        axis.axvline(0, color="0.7", linewidth=0.8)
        axis.set_xlabel("x")
        axis.grid(alpha=0.3)
    # Beside the axes: with many activations a legend inside would cover the curves.
    right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
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
