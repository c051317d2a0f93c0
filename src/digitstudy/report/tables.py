"""Report tables, each built from one result file of the run and formatted once for both
the HTML and the LaTeX report (tests compare every cell with the file it came from)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data.svhn_format import STANDIN_LABEL, STANDIN_MEANING
from ..ex1.analysis import varying_axes, with_axes

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
    return json.loads(Path(path).read_text())


def dataset_counts(path: str | Path) -> Table:
    frame = pd.read_csv(path)
    rows = [
        [r.dataset, r.split, r.source, yes_no(r.available), yes_no(r.stand_in), count(r.count)]
        + [count(getattr(r, f"class_{d}")) for d in range(10)]
        for r in frame.itertuples()
    ]
    columns = ["dataset", "split", "source", "available", "stand-in", "images", *map(str, range(10))]
    title, align = "Images per dataset, split and digit", ["l"] * 5 + ["r"] * 11
    return Table("data-counts", title, str(path), columns, rows, stand_in=bool(frame.stand_in.any()), align=align)


def _reached(row, bound: str) -> str:
    """'0 at x = 0' for relu's min; '0 (approached as x → -50)' for tanh's, reached at the grid's edge."""
    value, x = general(getattr(row, bound)), general(getattr(row, f"x_at_{bound}"))
    return f"{value} at x = {x}" if getattr(row, f"{bound}_attained") else f"{value} (approached as x → {x})"


def derivative_ranges(path: str | Path) -> Table:
    """Range of f' per activation as measured on a grid (ex1.analysis.derivative_ranges_table)."""
    frame = pd.read_csv(path)
    rows = [[r.activation, r.range, _reached(r, "min"), _reached(r, "max")] for r in frame.itertuples()]
    where = f" on {frame.grid.iloc[0]}, automatic differentiation on {frame.backend.iloc[0]}" if len(frame) else ""
    title = f"Range of f' per activation, measured{where} (open end: a bound only approached at the grid's edge)"
    columns = ["activation", "range of f'", "min of f'", "max of f'"]
    return Table("ex1-derivative-ranges", title, str(path), columns, rows)


AXIS_COLUMNS = {"activation": "activation", "kernel_initializer": "initialiser", "optimizer": "optimiser"}


def scores(path: str | Path, table_id="ex1-scores", title="MNIST test scores (mean ± std over seeds)") -> Table:
    """A column for the activation and for each other axis the grid varies."""
    frame = with_axes(pd.read_csv(path))
    axes = varying_axes(frame)
    rows = [
        [*(str(getattr(r, a)) for a in axes), str(int(r.depth)), str(int(r.seeds))]
        + [mean_std(r.accuracy_mean, r.accuracy_std), mean_std(r.loss_mean, r.loss_std)]
        + [str(int(r.diverged_runs)), seconds(r.train_seconds_mean)]
        for r in frame.itertuples()
    ]
    columns = [AXIS_COLUMNS[a] for a in axes]
    columns += ["depth", "seeds", "test accuracy", "test loss", "diverged runs", "train s (mean)"]
    return Table(table_id, title, str(path), columns, rows)


def _orders(cell: dict | None) -> str:
    if cell is None or cell["orders_of_magnitude_mean"] is None:
        return "n/a"
    mean, low, high = (cell[f"orders_of_magnitude_{k}"] for k in ("mean", "min", "max"))
    return f"{mean:.2f} [{low:.2f}, {high:.2f}]"


def gradient_orders(path: str | Path) -> Table:
    """Orders of magnitude by which max |dL/dW| falls from the output layer to the first layer."""
    facts = read_json(path)
    epochs = sorted({int(e) for c in facts["configurations"] for e in c["gradient_first_over_last"]})
    shown = [epochs[0], epochs[-1]] if len(epochs) > 1 else epochs
    rows = [
        [c.get("setup", c["activation"]), str(c["depth"])]
        + [_orders(c["gradient_first_over_last"].get(str(e))) for e in shown]
        for c in facts["configurations"]
    ]
    title = (
        "log10(max|dL/dW| of the output layer / max|dL/dW| of the first layer): mean [min, max] over seeds "
        "(positive: the gradient shrinks towards the input)"
    )
    setup_column = (
        "activation"
        if all(c.get("setup", c["activation"]) == c["activation"] for c in facts["configurations"])
        else "setup"
    )
    columns = [setup_column, "depth", *[f"epoch {e}" for e in shown]]
    return Table("ex1-gradient-orders", title, str(path), columns, rows)


def lecun_comparison(path: str | Path) -> Table:
    facts = read_json(path)
    base = facts["baseline"]
    rows = [
        [str(d["depth"]), accuracy(d["accuracy_lecun_mean"]), accuracy(d[f"accuracy_{base}_mean"])]
        + [general(d["first_layer_gradient_lecun"]), general(d[f"first_layer_gradient_{base}"])]
        + [f"{d['first_layer_gradient_ratio']:.2f}", yes_no(d["lecun_trains"]), yes_no(d[f"{base}_trains"])]
        for d in facts["depths"]
    ]
    columns = ["depth", "accuracy LeCun", f"accuracy {base}", "first-layer grad LeCun", f"first-layer grad {base}"]
    columns += [f"ratio LeCun/{base}", "LeCun trains", f"{base} trains"]
    title = f"LeCun's scaled tanh vs {base}: mean test accuracy and first-layer max|dL/dW| at initialisation"
    return Table("ex1-lecun", title, str(path), columns, rows)


def shape_trace(path: str | Path, stand_in: bool) -> Table:
    rows = [[r.layer, r.output_shape, count(r.parameters)] for r in pd.read_csv(path).itertuples()]
    columns, title = ["layer", "output shape", "parameters"], "CNN layers, output shapes and parameters"
    return Table("ex2-shape-trace", title, str(path), columns, rows, stand_in=stand_in)


def cnn_summary(path: str | Path) -> Table:
    m = read_json(path)
    images = " / ".join(count(m[f"{split}_images"]) for split in ("train", "validation", "test"))
    rows = [
        ["test accuracy", accuracy(m["test_accuracy"])],
        ["test loss", f"{m['test_loss']:.4f}"],
        ["epochs trained", str(m["epochs"])],
        ["best epoch (weights restored)", str(m["best_epoch"])],
        ["stopped early", yes_no(m["stopped_early"])],
        ["train / validation / test images", images],
        ["parameters", count(m["parameters"])],
        ["training seconds", seconds(m["train_seconds"])],
    ]
    title, stand_in = "CNN training and test result", bool(m["data"]["stand_in"])
    return Table("ex2-summary", title, str(path), ["quantity", "value"], rows, stand_in=stand_in)


def cnn_per_class(path: str | Path) -> Table:
    m = read_json(path)
    rows = [
        [str(c["digit"]), accuracy(c["precision"]), accuracy(c["recall"]), count(c["support"])] for c in m["per_class"]
    ]
    columns = ["digit", "precision", "recall", "test images"]
    title = "Per-digit precision and recall on the test set"
    return Table("ex2-per-class", title, str(path), columns, rows, stand_in=bool(m["data"]["stand_in"]))


_SCORED = ["images", "accuracy", "flagged unsure", "accuracy not flagged"]


def _scored(r: dict) -> list[str]:
    """The _SCORED cells of a model card's row."""
    return [count(r["images"]), accuracy(r["accuracy"]), share(r["flagged"]), accuracy(r["accuracy_not_flagged"])]


def recogniser_accuracy(path: str | Path) -> Table:
    rows = [[name, *_scored(row), yes_no(row["held_out_writers"])] for name, row in read_json(path)["accuracy"].items()]
    columns = ["test set", *_SCORED, "writers held out of training"]
    return Table("ex3-accuracy", "Recogniser accuracy per test set", str(path), columns, rows)


def leave_one_out(path: str | Path) -> Table | None:
    """The model card's leave-one-writers'-set-out rows; None when the card has none."""
    rows = read_json(path).get("leave_one_out")
    if not rows:
        return None
    cells = [
        [r["held_out"], r["trained_on"], r["test_set"], *_scored(r)]
        if r["available"]
        else [r["held_out"], f"not available: {r['note']}", "", "", "", "", ""]
        for r in rows
    ]
    columns = ["held out", "trained on", "test set", *_SCORED]
    title = "Leave one writers' set out: the recipe trained without the set, read on it"
    return Table("ex3-leave-one-out", title, str(path), columns, cells, align=["l"] * 3 + ["r"] * 4)


def evaluations(paths: dict[str, str]) -> Table:
    summaries = {name: read_json(path) for name, path in paths.items()}
    rows = [[name, count(s["images"]), accuracy(s["accuracy"])] for name, s in summaries.items()]
    title, source = "Own labelled folders (evaluate)", ", ".join(paths.values())
    return Table("ex3-evaluations", title, source, ["folder", "images", "accuracy"], rows)


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
