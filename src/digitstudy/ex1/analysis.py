"""Tables and computed observations from the grid's results (never from prose)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .grid import ASSIGNMENT_INITIALIZER, ASSIGNMENT_OPTIMIZER, AXES

# A run "sits at chance" if it does no better than always answering the test set's most
# frequent digit (+ this margin): a collapsed net predicts one class for every image.
CHANCE_MARGIN = 0.01


def majority_share(test_labels: np.ndarray) -> tuple[int, float]:
    counts = np.bincount(test_labels, minlength=10)
    return int(counts.argmax()), float(counts.max() / counts.sum())


def chance_threshold(test_labels: np.ndarray) -> float:
    """Test accuracy at or below which a run counts as collapsed to chance."""
    return majority_share(test_labels)[1] + CHANCE_MARGIN


def with_axes(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every axis column; tables from before the initialiser and optimiser were axes
    get the assignment's."""
    defaults = {"kernel_initializer": ASSIGNMENT_INITIALIZER, "optimizer": ASSIGNMENT_OPTIMIZER}
    missing = {axis: value for axis, value in defaults.items() if axis not in frame}
    return frame.assign(**missing) if missing else frame


def varying_axes(frame: pd.DataFrame) -> list[str]:
    """The activation, and each other axis that takes more than one value in `frame`: what names a setup."""
    frame = with_axes(frame)
    return ["activation", *(axis for axis in AXES[1:] if frame[axis].nunique() > 1)]


def setup_labels(frame: pd.DataFrame, axes: list[str] | None = None) -> pd.Series:
    """'relu', or 'relu, he_normal, adam' where the grid varies those axes."""
    frame = with_axes(frame)
    axes = axes or varying_axes(frame)
    return frame[axes].astype(str).agg(", ".join, axis=1)


def scores_table(metrics: pd.DataFrame) -> pd.DataFrame:
    grouped = with_axes(metrics).groupby([*AXES, "depth"], sort=True)
    table = grouped.agg(
        seeds=("seed", "count"),
        accuracy_mean=("test_accuracy", "mean"),
        accuracy_std=("test_accuracy", "std"),
        loss_mean=("test_loss", "mean"),
        loss_std=("test_loss", "std"),
        diverged_runs=("diverged", "sum"),
        train_seconds_mean=("train_seconds", "mean"),
    ).reset_index()
    # One seed has no spread: report 0 rather than NaN.
    return table.fillna({"accuracy_std": 0.0, "loss_std": 0.0})


def gradient_ratios(gradients: pd.DataFrame, param: str = "kernel") -> pd.DataFrame:
    """Per run and epoch: max |dL/dW| of the first layer over that of the last (output) layer."""
    kernels = with_axes(gradients[gradients.param == param])
    rows = []
    for (*axes, depth, seed, epoch), run in kernels.groupby([*AXES, "depth", "seed", "epoch"]):
        first = run.loc[run.layer == run.layer.min(), "max_abs"].iloc[0]
        last = run.loc[run.layer == run.layer.max(), "max_abs"].iloc[0]
        ratio = first / last if last > 0 else math.nan
        rows.append(
            {
                **dict(zip(AXES, axes)),
                "depth": int(depth),
                "seed": int(seed),
                "epoch": int(epoch),
                "first_layer_max_abs": float(first),
                "last_layer_max_abs": float(last),
                "first_over_last": float(ratio),
                "orders_of_magnitude": float(-math.log10(ratio)) if ratio > 0 else math.inf,
            }
        )
    return pd.DataFrame(rows)


def _orders_by_epoch(ratios: pd.DataFrame) -> dict:
    by_epoch = {}
    for epoch, group in ratios.groupby("epoch"):
        finite = group.orders_of_magnitude[np.isfinite(group.orders_of_magnitude)]
        by_epoch[str(int(epoch))] = {
            "first_over_last_geomean": float(10 ** -finite.mean()) if len(finite) else None,
            "orders_of_magnitude_mean": float(finite.mean()) if len(finite) else None,
            "orders_of_magnitude_min": float(finite.min()) if len(finite) else None,
            "orders_of_magnitude_max": float(finite.max()) if len(finite) else None,
        }
    return by_epoch


def _matching(frame: pd.DataFrame, row, columns) -> pd.DataFrame:
    return frame[np.logical_and.reduce([frame[c] == getattr(row, c) for c in columns])]


def configurations(metrics: pd.DataFrame, gradients: pd.DataFrame, chance: float) -> list[dict]:
    """One record per setup and depth: scores over seeds, collapse to chance, gradient fall."""
    metrics, keys = with_axes(metrics), [*AXES, "depth"]
    axes, configs = varying_axes(metrics), []
    ratios = gradient_ratios(gradients) if len(gradients) else pd.DataFrame()
    for row in scores_table(metrics).itertuples():
        runs = _matching(metrics, row, keys)
        at_chance = runs.test_accuracy <= chance
        configs.append(
            {
                "activation": row.activation,
                "kernel_initializer": row.kernel_initializer,
                "optimizer": row.optimizer,
                "setup": ", ".join(str(getattr(row, a)) for a in axes),
                "depth": int(row.depth),
                "seeds": int(row.seeds),
                "accuracy_mean": float(row.accuracy_mean),
                "accuracy_std": float(row.accuracy_std),
                "accuracy_min": float(runs.test_accuracy.min()),
                "accuracy_max": float(runs.test_accuracy.max()),
                "runs_at_chance": int(at_chance.sum()),
                "all_runs_at_chance": bool(at_chance.all()),
                "diverged_runs": int(row.diverged_runs),
                "gradient_first_over_last": _orders_by_epoch(_matching(ratios, row, keys)) if len(ratios) else {},
            }
        )
    return configs


def axis_effects(configs: list[dict], axis: str, varying: list[str]) -> dict:
    """For one axis: per value, how many configurations trained (no seed at chance) and how many
    collapsed (every seed at chance); and where only this axis differs, which values train and
    which collapse."""
    values = list(dict.fromkeys(c[axis] for c in configs))
    counts = {
        value: {
            "configurations": sum(c[axis] == value for c in configs),
            "trained": sum(c[axis] == value and c["runs_at_chance"] == 0 for c in configs),
            "collapsed": sum(c[axis] == value and c["all_runs_at_chance"] for c in configs),
        }
        for value in values
    }
    # Where: the activation, and the other axes that vary (a constant axis says nothing).
    others = [a for a in AXES if a != axis and (a in varying or a == "activation")]
    groups: dict[tuple, list[dict]] = {}
    for config in configs:
        groups.setdefault((*(config[a] for a in others), config["depth"]), []).append(config)
    decides = []
    for (*fixed, depth), group in groups.items():
        trains = [c[axis] for c in group if c["runs_at_chance"] == 0]
        collapses = [c[axis] for c in group if c["all_runs_at_chance"]]
        if trains and collapses:
            where = {**dict(zip(others, fixed)), "depth": depth}
            decides.append({"where": where, "trains_with": trains, "collapses_with": collapses})
    return {"values": counts, "decides": decides}


def observations(metrics: pd.DataFrame, gradients: pd.DataFrame, test_labels: np.ndarray) -> dict:
    digit, share = majority_share(test_labels)
    chance = chance_threshold(test_labels)
    configs = configurations(metrics, gradients, chance)
    varying = [axis for axis in AXES if len({c[axis] for c in configs}) > 1]
    return {
        "chance": {
            "majority_digit": digit,
            "majority_share": share,
            "threshold": chance,
            "definition": f"test accuracy <= share of the most frequent test digit + {CHANCE_MARGIN}",
        },
        "configurations": configs,
        "collapsed": [f"{c['setup']}-{c['depth']}" for c in configs if c["all_runs_at_chance"]],
        "partly_collapsed": [f"{c['setup']}-{c['depth']}" for c in configs if 0 < c["runs_at_chance"] < c["seeds"]],
        "best": max((c for c in configs if c["runs_at_chance"] == 0), key=lambda c: c["accuracy_mean"], default=None),
        "largest_seed_spread": max(configs, key=lambda c: c["accuracy_std"], default=None),
        # Per axis, where the grid varies more than the activation (the sentences above cover that).
        "axes": {axis: axis_effects(configs, axis, varying) for axis in varying}
        if set(varying) - {"activation"}
        else {},
    }


def derivative_ranges_table(activations: list[str], derivative, backend: str) -> pd.DataFrame:
    """Range of f' per activation measured on a dense grid (activations.GRID): min and max, the x
    where each is reached, whether it is attained there or only approached at the grid's edge, and
    the range as text. `derivative(name, x)` is f' by automatic differentiation on the Keras backend
    `backend` (keras_activations.derivative), passed in because this module runs without Keras."""
    from .activations import describe_range, grid, grid_text

    x = grid()
    rows = [
        {"activation": name, **describe_range(x, derivative(name, x)), "grid": grid_text(), "backend": backend}
        for name in dict.fromkeys(activations)
    ]
    return pd.DataFrame(rows)


def comparison_subset(frames: list[pd.DataFrame], activations: list[str]) -> tuple[list[pd.DataFrame], dict]:
    """The rows of `frames` for `activations` under one initialiser and optimiser that every one of
    them was trained with: the assignment's where possible, else the first in the grid. Returns the
    frames and that choice ({} where there is none)."""
    others = list(AXES[1:])
    metrics = with_axes(frames[0])
    trained = [
        set(metrics.loc[metrics.activation == a, others].itertuples(index=False, name=None)) for a in activations
    ]
    common = set.intersection(*trained) if trained else set()
    if not common:
        return [f.iloc[:0] for f in frames], {}
    assignment = (ASSIGNMENT_INITIALIZER, ASSIGNMENT_OPTIMIZER)
    in_grid_order = list(dict.fromkeys(metrics[others].itertuples(index=False, name=None)))
    choice = assignment if assignment in common else min(common, key=in_grid_order.index)
    subset = [with_axes(f) for f in frames]
    keep = [f.activation.isin(activations) & (f[others[0]] == choice[0]) & (f[others[1]] == choice[1]) for f in subset]
    return [f[k] for f, k in zip(subset, keep)], dict(zip(others, choice))


def lecun_vs_baseline(
    metrics: pd.DataFrame, gradients: pd.DataFrame, test_labels: np.ndarray, baseline: str = "tanh"
) -> dict:
    """Per depth: first-layer max |dL/dW| at initialisation, LeCun over tanh, and who trains."""
    chance = chance_threshold(test_labels)
    first = gradients[(gradients.epoch == 0) & (gradients.param == "kernel") & (gradients.layer == 1)]
    depths = sorted(
        set(metrics[metrics.activation == "lecun"].depth) & set(metrics[metrics.activation == baseline].depth)
    )
    result = []
    for depth in depths:

        def geomean(activation):
            values = first[(first.activation == activation) & (first.depth == depth)].max_abs
            return float(np.exp(np.log(values[values > 0]).mean())) if len(values) else math.nan

        def accuracy(activation):
            return metrics[(metrics.activation == activation) & (metrics.depth == depth)].test_accuracy

        lecun_acc, base_acc = accuracy("lecun"), accuracy(baseline)
        lecun_trains = bool((lecun_acc > chance).all())
        base_trains = bool((base_acc > chance).all())
        result.append(
            {
                "depth": int(depth),
                "first_layer_gradient_lecun": geomean("lecun"),
                f"first_layer_gradient_{baseline}": geomean(baseline),
                "first_layer_gradient_ratio": geomean("lecun") / geomean(baseline),
                "accuracy_lecun_mean": float(lecun_acc.mean()),
                f"accuracy_{baseline}_mean": float(base_acc.mean()),
                "lecun_trains": lecun_trains,
                f"{baseline}_trains": base_trains,
                "lecun_trains_where_baseline_does_not": lecun_trains and not base_trains,
            }
        )
    return {"baseline": baseline, "chance_threshold": chance, "depths": result}
