"""Command line for Exercise 3: predict, evaluate, grade.

    python -m digitstudy.ex3 predict  --model recogniser.h5 IMAGES_OR_FOLDERS... --out results/predict
    python -m digitstudy.ex3 evaluate --model recogniser.h5 --folder DIR --out results/evaluate
    python -m digitstudy.ex3 grade    --submissions SUBMISSIONS_DIR --folder DIR --out results/grade
    python -m digitstudy.ex3 photo-benchmark --model recogniser.keras --mnist resources/mnist/mnist.npz \
        [--usps resources/usps/usps.npz] [--photos DIR] --out results/photo_benchmark

DIR holds one sub-folder per digit (DIR/0 ... DIR/9) with images in any common format.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _load(path: str):
    from .safe_load import load_untrusted

    return load_untrusted(path)


def _unsure_below(args) -> float | None:
    from .recognise import unsure_threshold_beside

    if args.unsure_below is not None:
        return args.unsure_below
    found = unsure_threshold_beside(args.model)
    if found is None:
        print("no model card beside the model and no --unsure-below: nothing is flagged unsure", file=sys.stderr)
    return found


def predict(args) -> int:
    from .figures import contact_sheet
    from .recognise import image_files, predict_table

    files = image_files(args.inputs)
    if not files:
        print("no image files found", file=sys.stderr)
        return 2
    table, batch = predict_table(_load(args.model), files, _unsure_below(args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "predictions.csv", index=False)
    contact_sheet(table, batch, f"Predictions of {Path(args.model).name}").savefig(out / "contact_sheet.png", dpi=110)
    for row in table.itertuples():
        if row.status != "ok":
            print(f"{row.file}: {row.status}", file=sys.stderr)
    print(f"{(table.status == 'ok').sum()} of {len(table)} images predicted -> {out / 'predictions.csv'}")
    return 0


def evaluate_command(args) -> int:
    from .figures import confusion_counts, mistakes_gallery
    from .recognise import evaluate

    result = evaluate(_load(args.model), args.folder, _unsure_below(args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / "evaluation.csv", index=False)
    result.per_class.to_csv(out / "per_class.csv", index=False)
    (out / "summary.json").write_text(json.dumps({"accuracy": result.accuracy, "images": len(result.table)}, indent=2))
    confusion_counts(result.confusion, f"{Path(args.folder).name}: accuracy {result.accuracy:.4f}").savefig(
        out / "confusion_matrix.png", dpi=120
    )
    mistakes_gallery(result.table, result.batch).savefig(out / "mistakes.png", dpi=110)
    print(f"accuracy {result.accuracy:.4f} on {len(result.table)} images -> {out}")
    return 0


def grade_command(args) -> int:
    from .recognise import grade

    submissions = sorted(p for p in Path(args.submissions).iterdir() if p.suffix.lower() in (".h5", ".keras"))
    table = grade(submissions, args.folder)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "grades.csv", index=False)
    print(table.to_string(index=False))
    return 0


def photo_benchmark_command(args) -> int:
    from .photo_benchmark import source_digits, write_benchmark

    summary = write_benchmark(_load(args.model), source_digits(args.mnist, args.usps), args.out,
                              per_condition=args.per_condition, seed=args.seed, photos_folder=args.photos)
    print(f"photo benchmark: accuracy {summary['overall_accuracy']:.4f} on {summary['images']} simulated photos; "
          f"worst condition {summary['worst_condition']} ({summary['worst_condition_accuracy']:.4f}); "
          f"a {summary['timing']['image_size'][0]}-px photo read and preprocessed in "
          f"{summary['timing']['decode_and_preprocess_seconds']:.3f} s")
    if "photos" in summary:
        print(f"real photos {summary['photos']['folder']}: {summary['photos']['correct']} of "
              f"{summary['photos']['images']} ({summary['photos']['accuracy']:.4f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitstudy.ex3", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("predict", help="image files or folders -> predictions.csv and contact_sheet.png")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("inputs", nargs="+")
    p.add_argument("--unsure-below", type=float, help="flag predictions below this confidence (default: the "
                   "threshold chosen on validation data, from the model card beside the model)")
    p.set_defaults(run=predict)
    e = commands.add_parser("evaluate", help="labelled folder DIR/<digit>/* -> accuracy, confusion, mistakes")
    e.add_argument("--model", required=True)
    e.add_argument("--folder", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--unsure-below", type=float, help="as for predict")
    e.set_defaults(run=evaluate_command)
    g = commands.add_parser("grade", help="folder of .h5/.keras submissions + labelled folder -> grades.csv")
    g.add_argument("--submissions", required=True)
    g.add_argument("--folder", required=True)
    g.add_argument("--out", required=True)
    g.set_defaults(run=grade_command)
    b = commands.add_parser("photo-benchmark", help="test digits as simulated phone photos -> accuracy per condition")
    b.add_argument("--model", required=True)
    b.add_argument("--mnist", required=True, help="mnist.npz (its test split is rendered)")
    b.add_argument("--usps", help="usps.npz (its test split is rendered too, when present)")
    b.add_argument("--photos", help="labelled folder DIR/<digit>/* of real photos, evaluated as well")
    b.add_argument("--per-condition", type=int, default=100, help="digits per source and condition")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--out", required=True)
    b.set_defaults(run=photo_benchmark_command)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
