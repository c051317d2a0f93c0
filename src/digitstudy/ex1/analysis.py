"""Tables and computed observations from the grid's results (never from prose)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# A run "sits at chance" if it does no better than always answering the test set's most
# frequent digit (+ this margin): a collapsed net predicts one class for every image.
CHANCE_MARGIN = 0.01


def majority_share(test_labels: np.ndarray) -> tuple[int, float]:
    counts = np.bincount(test_labels, minlength=10)
    return int(counts.argmax()), float(counts.max() / counts.sum())


def chance_threshold(test_labels: np.ndarray) -> float:
    """Test accuracy at or below which a run counts as collapsed to chance."""
    return majority_share(test_labels)[1] + CHANCE_MARGIN


def scores_table(metrics: pd.DataFrame) -> pd.DataFrame:
    grouped = metrics.groupby(["activation", "depth"], sort=True)
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
    kernels = gradients[gradients.param == param]
    rows = []
    for (activation, depth, seed, epoch), run in kernels.groupby(["activation", "depth", "seed", "epoch"]):
        first = run.loc[run.layer == run.layer.min(), "max_abs"].iloc[0]
        last = run.loc[run.layer == run.layer.max(), "max_abs"].iloc[0]
        ratio = first / last if last > 0 else math.nan
        rows.append(
            {
                "activation": activation,
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


def observations(metrics: pd.DataFrame, gradients: pd.DataFrame, test_labels: np.ndarray) -> dict:
    digit, share = majority_share(test_labels)
    chance = chance_threshold(test_labels)
    configs = []
    ratios = gradient_ratios(gradients)
    for row in scores_table(metrics).itertuples():
        runs = metrics[(metrics.activation == row.activation) & (metrics.depth == row.depth)]
        at_chance = runs.test_accuracy <= chance
        config_ratios = ratios[(ratios.activation == row.activation) & (ratios.depth == row.depth)]
        by_epoch = {}
        for epoch, group in config_ratios.groupby("epoch"):
            finite = group.orders_of_magnitude[np.isfinite(group.orders_of_magnitude)]
            by_epoch[str(int(epoch))] = {
                "first_over_last_geomean": float(10 ** -finite.mean()) if len(finite) else None,
                "orders_of_magnitude_mean": float(finite.mean()) if len(finite) else None,
                "orders_of_magnitude_min": float(finite.min()) if len(finite) else None,
                "orders_of_magnitude_max": float(finite.max()) if len(finite) else None,
            }
        configs.append(
            {
                "activation": row.activation,
                "depth": int(row.depth),
                "seeds": int(row.seeds),
                "accuracy_mean": float(row.accuracy_mean),
                "accuracy_std": float(row.accuracy_std),
                "accuracy_min": float(runs.test_accuracy.min()),
                "accuracy_max": float(runs.test_accuracy.max()),
                "runs_at_chance": int(at_chance.sum()),
                "all_runs_at_chance": bool(at_chance.all()),
                "diverged_runs": int(row.diverged_runs),
                "gradient_first_over_last": by_epoch,
            }
        )
    return {
        "chance": {
            "majority_digit": digit,
            "majority_share": share,
            "threshold": chance,
            "definition": f"test accuracy <= share of the most frequent test digit + {CHANCE_MARGIN}",
        },
        "configurations": configs,
        "collapsed": [f"{c['activation']}-{c['depth']}" for c in configs if c["all_runs_at_chance"]],
        "partly_collapsed": [
            f"{c['activation']}-{c['depth']}" for c in configs if 0 < c["runs_at_chance"] < c["seeds"]
        ],
        "best": max((c for c in configs if c["runs_at_chance"] == 0), key=lambda c: c["accuracy_mean"], default=None),
        "largest_seed_spread": max(configs, key=lambda c: c["accuracy_std"], default=None),
    }


def derivative_ranges_table() -> pd.DataFrame:
    """Analytic range of f' next to the min / max found numerically on a dense grid."""
    from .activations import DERIVATIVE_RANGES, NAMES, numerical_derivative_range

    rows = []
    for name in NAMES:
        low, high, _, _, text = DERIVATIVE_RANGES[name]
        numeric_low, numeric_high = numerical_derivative_range(name)
        rows.append(
            {
                "activation": name,
                "analytic_range": text,
                "analytic_low": low,
                "analytic_high": high,
                "numerical_min": numeric_low,
                "numerical_max": numeric_high,
                "grid": "[-50, 50], 2,000,001 points",
            }
        )
    return pd.DataFrame(rows)


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
