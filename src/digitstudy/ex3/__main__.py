"""Command line for Exercise 3: predict, evaluate, grade.

    python -m digitstudy.ex3 predict  --model recogniser.h5 IMAGES_OR_FOLDERS... --out results/predict
    python -m digitstudy.ex3 evaluate --model recogniser.h5 --folder DIR --out results/evaluate
    python -m digitstudy.ex3 grade    --submissions SUBMISSIONS_DIR --folder DIR --out results/grade
    python -m digitstudy.ex3 cut-sheet PHOTO... --labels 0123456789 0123456789 --out my_digits
    python -m digitstudy.ex3 photo-benchmark --model recogniser.keras --mnist resources/mnist/mnist.npz \
        [--usps resources/usps/usps.npz] [--photos DIR] --out results/photo_benchmark

DIR holds one sub-folder per digit (DIR/0 ... DIR/9) with images in any common format.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def photo_benchmark_command(args) -> int:
    from .outputs import unsure_below, write_benchmark
    from .photo_benchmark import source_digits
    from .safe_load import load_untrusted

    write_benchmark(
        load_untrusted(args.model),
        source_digits(args.mnist, args.usps),
        args.out,
        per_condition=args.per_condition,
        seed=args.seed,
        photos_folder=args.photos,
        threads=args.threads,
        unsure_below=unsure_below(args.model, args.unsure_below) or 0.0,
        combined=args.combined,
        non_digits=args.non_digits_per_kind,
    )


def _predict_and_evaluate(commands, outputs) -> None:
    p = commands.add_parser("predict", help="image files or folders -> predictions.csv and contact_sheet.png")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("inputs", nargs="+")
    unsure = "threshold chosen on validation data, from the model card beside the model"
    p.add_argument("--unsure-below", type=float, help=f"flag predictions below this confidence (default: the {unsure})")
    p.set_defaults(
        run=lambda a: outputs.write_predictions(
            a.model, a.inputs, outputs.PredictionFiles.in_folder(a.out), a.unsure_below
        )
    )
    e = commands.add_parser("evaluate", help="labelled folder DIR/<digit>/* -> accuracy, confusion, mistakes")
    for flag in ("--model", "--folder", "--out"):
        e.add_argument(flag, required=True)
    e.add_argument("--unsure-below", type=float, help="as for predict")
    e.set_defaults(
        run=lambda a: outputs.write_evaluation(
            a.model, a.folder, outputs.EvaluationFiles.in_folder(a.out), a.unsure_below
        )
    )


def _grade(commands, outputs, limits: dict) -> None:
    g = commands.add_parser("grade", help="folder of .h5/.keras submissions + labelled folder -> grades.csv")
    for flag in ("--submissions", "--folder", "--out"):
        g.add_argument(flag, required=True)
    for key, default in limits.items():
        text = f"per submission (default {default}; see config key ex3.grade.limits.{key})"
        g.add_argument(f"--{key.replace('_', '-')}", type=type(default), default=default, help=text)
    g.set_defaults(
        run=lambda a: outputs.write_grades(
            a.submissions, a.folder, Path(a.out) / "grades.csv", {k: getattr(a, k) for k in limits}
        )
    )


def _cut_sheet(commands, outputs) -> None:
    c = commands.add_parser(
        "cut-sheet", help="photos of sheets of digits in rows -> DIR/<digit>/*.png and a check image"
    )
    c.add_argument("photos", nargs="+")
    text = "what was written, one string of digits per row in reading order, or a file of them"
    c.add_argument("--labels", nargs="+", required=True, help=text)
    c.add_argument("--out", required=True)
    c.set_defaults(run=lambda a: outputs.write_cut_sheets(a.photos, a.labels, a.out))


def _photo_benchmark(commands, defaults: dict) -> None:
    b = commands.add_parser("photo-benchmark", help="test digits as simulated phone photos -> accuracy per condition")
    b.add_argument("--model", required=True)
    b.add_argument("--mnist", required=True, help="mnist.npz (its test split is rendered)")
    b.add_argument("--usps", help="usps.npz (its test split is rendered too, when present)")
    b.add_argument("--photos", help="labelled folder DIR/<digit>/* of real photos, evaluated as well")
    b.add_argument("--threads", type=int, default=1, help="conditions rendered side by side (same results)")

    def number(flag: str, text: str | None = None, key: str | None = None) -> None:
        """An int option whose default is the config key of its name (or `key`)."""
        b.add_argument(flag, type=int, default=defaults[key or flag[2:].replace("-", "_")], help=text)

    number("--per-condition", "digits per source and condition", key="digits_per_condition")
    number("--combined", "digits per source under several conditions at once (default: 5 x --per-condition)")
    number("--non-digits-per-kind", "photos without a digit of each kind (default: a quarter of --per-condition)")
    number("--seed")
    b.add_argument("--unsure-below", type=float, help="as for predict")
    b.add_argument("--out", required=True)
    b.set_defaults(run=photo_benchmark_command)


def main(argv: list[str] | None = None) -> int:
    from ..keras_setup import default_backend, select_backend
    from ..settings import schema_defaults
    from . import outputs
    from .sheets import SheetError

    defaults = schema_defaults("ex3")
    parser = argparse.ArgumentParser(prog="python -m digitstudy.ex3", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    _predict_and_evaluate(commands, outputs)
    _grade(commands, outputs, defaults["grade"]["limits"])
    _cut_sheet(commands, outputs)
    _photo_benchmark(commands, defaults["photo_benchmark"])
    args = parser.parse_args(argv)
    select_backend(default_backend())  # Keras' KERAS_BACKEND; on JAX or PyTorch, TensorFlow stays out
    os.environ.setdefault("OPENCV_FOR_THREADS_NUM", "1")  # as in the workflow (rules/common.smk)
    try:
        args.run(args)
    except (FileNotFoundError, SheetError) as error:  # a missing input, or sheets that do not match their labels
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
