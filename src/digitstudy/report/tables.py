"""Report tables, each built from one result file of the run and formatted once for both
the HTML and the LaTeX report (tests compare every cell with the file it came from)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data.svhn_format import STANDIN_LABEL, STANDIN_MEANING

STANDIN_NOTE = f"{STANDIN_LABEL}: {STANDIN_MEANING}."


@dataclass
class Table:
    id: str
    title: str
    source: str  # the result file every number in `rows` comes from
    columns: list[str]
    rows: list[list[str]]
    stand_in: bool = False
    align: list[str] = field(default_factory=list)  # "l" or "r" per column, for LaTeX and CSS

    def __post_init__(self):
        if not self.align:
            self.align = ["l"] + ["r"] * (len(self.columns) - 1)
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.id}: row {row} does not match columns {self.columns}")


def accuracy(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def share(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2%}"


def mean_std(mean: float, std: float) -> str:
    return f"{mean:.4f} ± {std:.4f}"


def count(value) -> str:
    return f"{int(value):,}"


def seconds(value: float) -> str:
    return f"{value:.1f}"


def general(value: float) -> str:
    return f"{value:.4g}"


def yes_no(value) -> str:
    return "yes" if bool(value) else "no"


def read_json(path: str | Path) -> dict:
    with open(path) as handle:
        return json.load(handle)


def dataset_counts(path: str | Path) -> Table:
    frame = pd.read_csv(path)
    classes = [f"class_{d}" for d in range(10)]
    rows = [
        [r.dataset, r.split, r.source, yes_no(r.available), yes_no(r.stand_in), count(r.count)]
        + [count(getattr(r, c)) for c in classes]
        for r in frame.itertuples()
    ]
    return Table(
        "data-counts",
        "Images per dataset, split and digit",
        str(path),
        ["dataset", "split", "source", "available", "stand-in", "images", *map(str, range(10))],
        rows,
        stand_in=bool(frame.stand_in.any()),
        align=["l", "l", "l", "l", "l"] + ["r"] * 11,
    )


def derivative_ranges(path: str | Path) -> Table:
    frame = pd.read_csv(path)
    rows = [
        [r.activation, r.analytic_range, general(r.numerical_min), general(r.numerical_max)] for r in frame.itertuples()
    ]
    grid = frame.grid.iloc[0] if len(frame) else ""
    return Table(
        "ex1-derivative-ranges",
        f"Range of f' per activation: analytic, and found numerically on {grid}",
        str(path),
        ["activation", "analytic range of f'", "numerical min", "numerical max"],
        rows,
    )


def scores(
    path: str | Path, table_id: str = "ex1-scores", title: str = "MNIST test scores (mean ± std over seeds)"
) -> Table:
    frame = pd.read_csv(path)
    rows = [
        [
            r.activation,
            str(int(r.depth)),
            str(int(r.seeds)),
            mean_std(r.accuracy_mean, r.accuracy_std),
            mean_std(r.loss_mean, r.loss_std),
            str(int(r.diverged_runs)),
            seconds(r.train_seconds_mean),
        ]
        for r in frame.itertuples()
    ]
    return Table(
        table_id,
        title,
        str(path),
        ["activation", "depth", "seeds", "test accuracy", "test loss", "diverged runs", "train s (mean)"],
        rows,
        align=["l", "r", "r", "r", "r", "r", "r"],
    )


def gradient_orders(path: str | Path) -> Table:
    """Orders of magnitude by which max |dL/dW| falls from the output layer to the first layer."""
    facts = read_json(path)
    epochs = sorted({int(e) for c in facts["configurations"] for e in c["gradient_first_over_last"]})
    shown = [epochs[0], epochs[-1]] if len(epochs) > 1 else epochs
    rows = []
    for config in facts["configurations"]:
        row = [config["activation"], str(config["depth"])]
        for epoch in shown:
            cell = config["gradient_first_over_last"].get(str(epoch))
            if cell is None or cell["orders_of_magnitude_mean"] is None:
                row.append("n/a")
            else:
                row.append(
                    f"{cell['orders_of_magnitude_mean']:.2f} "
                    f"[{cell['orders_of_magnitude_min']:.2f}, {cell['orders_of_magnitude_max']:.2f}]"
                )
        rows.append(row)
    return Table(
        "ex1-gradient-orders",
        "log10(max|dL/dW| of the output layer / max|dL/dW| of the first layer): mean [min, max] over seeds "
        "(positive: the gradient shrinks towards the input)",
        str(path),
        ["activation", "depth", *[f"epoch {e}" for e in shown]],
        rows,
    )


def lecun_comparison(path: str | Path) -> Table:
    facts = read_json(path)
    base = facts["baseline"]
    rows = [
        [
            str(d["depth"]),
            accuracy(d["accuracy_lecun_mean"]),
            accuracy(d[f"accuracy_{base}_mean"]),
            general(d["first_layer_gradient_lecun"]),
            general(d[f"first_layer_gradient_{base}"]),
            f"{d['first_layer_gradient_ratio']:.2f}",
            yes_no(d["lecun_trains"]),
            yes_no(d[f"{base}_trains"]),
        ]
        for d in facts["depths"]
    ]
    return Table(
        "ex1-lecun",
        f"LeCun's scaled tanh vs {base}: mean test accuracy and first-layer max|dL/dW| at initialisation",
        str(path),
        [
            "depth",
            "accuracy LeCun",
            f"accuracy {base}",
            "first-layer grad LeCun",
            f"first-layer grad {base}",
            f"ratio LeCun/{base}",
            "LeCun trains",
            f"{base} trains",
        ],
        rows,
    )


def shape_trace(path: str | Path, stand_in: bool) -> Table:
    frame = pd.read_csv(path)
    rows = [[r.layer, r.output_shape, count(r.parameters)] for r in frame.itertuples()]
    return Table(
        "ex2-shape-trace",
        "CNN layers, output shapes and parameters",
        str(path),
        ["layer", "output shape", "parameters"],
        rows,
        stand_in=stand_in,
    )


def cnn_summary(path: str | Path) -> Table:
    m = read_json(path)
    rows = [
        ["test accuracy", accuracy(m["test_accuracy"])],
        ["test loss", f"{m['test_loss']:.4f}"],
        ["epochs trained", str(m["epochs"])],
        ["best epoch (weights restored)", str(m["best_epoch"])],
        ["stopped early", yes_no(m["stopped_early"])],
        [
            "train / validation / test images",
            f"{count(m['train_images'])} / {count(m['validation_images'])} / {count(m['test_images'])}",
        ],
        ["parameters", count(m["parameters"])],
        ["training seconds", seconds(m["train_seconds"])],
    ]
    return Table(
        "ex2-summary",
        "CNN training and test result",
        str(path),
        ["quantity", "value"],
        rows,
        stand_in=bool(m["data"]["stand_in"]),
    )


def cnn_per_class(path: str | Path) -> Table:
    m = read_json(path)
    rows = [
        [str(c["digit"]), accuracy(c["precision"]), accuracy(c["recall"]), count(c["support"])] for c in m["per_class"]
    ]
    columns = ["digit", "precision", "recall", "test images"]
    title = "Per-digit precision and recall on the test set"
    return Table("ex2-per-class", title, str(path), columns, rows, stand_in=bool(m["data"]["stand_in"]))


def recogniser_accuracy(path: str | Path) -> Table:
    card = read_json(path)
    rows = [
        [
            name,
            count(row["images"]),
            accuracy(row["accuracy"]),
            share(row["flagged"]),
            accuracy(row["accuracy_not_flagged"]),
            yes_no(row["held_out_writers"]),
        ]
        for name, row in card["accuracy"].items()
    ]
    columns = [
        "test set",
        "images",
        "accuracy",
        "flagged unsure",
        "accuracy not flagged",
        "writers held out of training",
    ]
    return Table("ex3-accuracy", "Recogniser accuracy per test set", str(path), columns, rows)


def leave_one_out(path: str | Path) -> Table | None:
    """The model card's leave-one-writers'-set-out rows; None when the card has none."""
    rows = read_json(path).get("leave_one_out")
    if not rows:
        return None
    cells = [
        [
            r["held_out"],
            r["trained_on"],
            r["test_set"],
            count(r["images"]),
            accuracy(r["accuracy"]),
            share(r["flagged"]),
            accuracy(r["accuracy_not_flagged"]),
        ]
        if r["available"]
        else [r["held_out"], f"not available: {r['note']}", "", "", "", "", ""]
        for r in rows
    ]
    return Table(
        "ex3-leave-one-out",
        "Leave one writers' set out: the recipe trained without the set, read on it",
        str(path),
        ["held out", "trained on", "test set", "images", "accuracy", "flagged unsure", "accuracy not flagged"],
        cells,
        align=["l", "l", "l", "r", "r", "r", "r"],
    )


def evaluations(paths: dict[str, str]) -> Table:
    rows = []
    for name, path in paths.items():
        summary = read_json(path)
        rows.append([name, count(summary["images"]), accuracy(summary["accuracy"])])
    return Table(
        "ex3-evaluations",
        "Own labelled folders (evaluate)",
        ", ".join(paths.values()),
        ["folder", "images", "accuracy"],
        rows,
    )


def grades(path: str | Path) -> Table:
    frame = pd.read_csv(path)
    rows = [
        [r.submission, accuracy(None if pd.isna(r.accuracy) else r.accuracy), f"{r.marks:.2f}", r.status]
        for r in frame.itertuples()
    ]
    columns, title = ["submission", "accuracy", "marks", "status"], "Grades: marks = 40 × accuracy / best accuracy"
    return Table("ex3-grades", title, str(path), columns, rows, align=["l", "r", "r", "l"])


def photo_benchmark(path: str | Path) -> Table:
    frame = pd.read_csv(path)
    rows = [
        [r.source, r.condition, r.description, count(r.images), accuracy(r.accuracy), count(r.no_digit)]
        for r in frame.itertuples()
    ]
    columns = ["digits", "condition", "what it simulates", "images", "accuracy", "no digit found"]
    title = "Photo benchmark: accuracy on simulated phone photos, per condition"
    return Table("ex3-photo-benchmark", title, str(path), columns, rows, align=["l", "l", "l", "r", "r", "r"])
