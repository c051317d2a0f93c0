"""What predict, evaluate and grade write, to the paths they are given: the rules pass their
declared outputs, the command line a folder (`in_folder`)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from .safe_load import load_untrusted


@dataclass(frozen=True)
class PredictionFiles:
    table: Path  # predictions.csv
    sheet: Path  # contact_sheet.png

    @classmethod
    def in_folder(cls, out: str | Path) -> PredictionFiles:
        return cls(Path(out) / "predictions.csv", Path(out) / "contact_sheet.png")


@dataclass(frozen=True)
class EvaluationFiles:
    table: Path  # evaluation.csv
    per_class: Path
    summary: Path
    confusion: Path
    mistakes: Path

    @classmethod
    def in_folder(cls, out: str | Path) -> EvaluationFiles:
        names = ("evaluation.csv", "per_class.csv", "summary.json", "confusion_matrix.png", "mistakes.png")
        return cls(*(Path(out) / name for name in names))


def _created(files) -> None:
    for field in fields(files):
        Path(getattr(files, field.name)).parent.mkdir(parents=True, exist_ok=True)


def unsure_below(model_path: str | Path, given: float | None = None, card: str | Path | None = None) -> float | None:
    """`given`, else the "unsure" confidence chosen on validation data, from `card` or else the
    model card next to a model trained by this workflow (model_card.json, else
    training_card.json), else None."""
    if given is not None:
        return given
    cards = [Path(card)] if card else [Path(model_path).with_name(n) for n in ("model_card.json", "training_card.json")]
    for card in cards:
        unsure = (json.loads(card.read_text()).get("unsure") or {}) if card.is_file() else {}
        if "below" in unsure:
            return float(unsure["below"])
    print("no model card beside the model and no --unsure-below: nothing is flagged unsure", file=sys.stderr)
    return None


def write_predictions(
    model_path: str | Path,
    inputs: list[str | Path],
    out: PredictionFiles,
    unsure: float | None = None,
    card: str | Path | None = None,
) -> int:
    """The predictions table and contact sheet for image files and folders; returns how many
    images gave a prediction. Files that could not be read are named on stderr."""
    from .figures import contact_sheet
    from .inference import image_files, predict_table

    files = image_files(inputs)
    if not files:
        raise FileNotFoundError(f"no image files found in {', '.join(map(str, inputs))}")
    table, batch = predict_table(load_untrusted(model_path), files, unsure_below(model_path, unsure, card))
    _created(out)
    table.to_csv(out.table, index=False)
    contact_sheet(table, batch, f"Predictions of {Path(model_path).name}").savefig(out.sheet, dpi=110)
    for row in table.itertuples():
        if row.status != "ok":
            print(f"{row.file}: {row.status}", file=sys.stderr)
    predicted = int((table.status == "ok").sum())
    print(f"{predicted} of {len(table)} images predicted -> {out.table}")
    return predicted


def write_evaluation(
    model_path: str | Path,
    folder: str | Path,
    out: EvaluationFiles,
    unsure: float | None = None,
    card: str | Path | None = None,
) -> float:
    """The evaluation table, per-class accuracy, summary, confusion matrix and mistakes for a
    labelled folder DIR/<digit>/*; returns the accuracy."""
    from .figures import confusion_counts, mistakes_gallery
    from .inference import evaluate

    result = evaluate(load_untrusted(model_path), folder, unsure_below(model_path, unsure, card))
    _created(out)
    result.table.to_csv(out.table, index=False)
    result.per_class.to_csv(out.per_class, index=False)
    Path(out.summary).write_text(json.dumps({"accuracy": result.accuracy, "images": len(result.table)}, indent=2))
    title = f"{Path(folder).name}: accuracy {result.accuracy:.4f}"
    confusion_counts(result.confusion, title).savefig(out.confusion, dpi=120)
    mistakes_gallery(result.table, result.batch).savefig(out.mistakes, dpi=110)
    print(f"accuracy {result.accuracy:.4f} on {len(result.table)} images -> {out.table}")
    return result.accuracy


def write_grades(submissions: str | Path, folder: str | Path, out: str | Path, limits: dict):
    """The grades table `out` (a CSV, safe to open in a spreadsheet) for every .h5 / .keras file in
    `submissions`, each graded in a child process under `limits` (config section
    ex3.grade.limits); returns the table."""
    from .grading import Limits, grade, spreadsheet_safe, submission_files

    table = grade(submission_files(submissions), folder, Limits.from_config(limits))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    spreadsheet_safe(table).to_csv(out, index=False)
    print(table.to_string(index=False))
    return table


def write_cut_sheets(photos: list[str | Path], labels: list[str], out: str | Path) -> int:
    """Cut every sheet photo into out/<digit>/; returns how many crops were written. Every sheet
    is tried; the ones whose digits do not match the labels are named and written nothing."""
    from .sheets import SheetError, cut_sheet

    written, refused = 0, []
    for photo in photos:
        try:
            crops = cut_sheet(photo, labels, out)
            written += len(crops)
            print(f"{Path(photo).name}: {len(crops)} digits -> {out}")
        except SheetError as error:
            refused.append(str(error))
            print(error, file=sys.stderr)
    if refused:
        raise SheetError(f"{len(refused)} of {len(photos)} sheets did not match their labels:\n" + "\n".join(refused))
    return written


def write_rendered(rendered, npz, examples_png) -> None:
    """The rendering half of the photo benchmark (a RenderedBenchmark): its arrays (`npz`) and examples figure."""
    from .figures import photo_examples_figure

    rendered.save(npz)
    photo_examples_figure(rendered.examples).savefig(examples_png, dpi=120)


def write_scores(result, table_csv, summary_json, per_condition: int, seed: int) -> dict:
    """The photo benchmark's per-condition table and summary (of a BenchmarkResult); returns the summary."""
    from .photo_benchmark import DIGIT_COLUMNS, summary_markdown

    for path in (table_csv, summary_json):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    result.per_condition[DIGIT_COLUMNS].to_csv(table_csv, index=False)
    summary = {**result.summary(), "digits_per_condition": per_condition, "seed": seed}
    Path(summary_json).write_text(json.dumps(summary, indent=2))
    print(summary_markdown(summary))
    return summary


def write_benchmark(
    model,
    sources: dict,
    out,
    per_condition: int = 100,
    seed: int = 0,
    photos_folder: str | None = None,
    threads: int = 1,
    unsure_below: float = 0.0,
    combined: int | None = None,
    non_digits: int | None = None,
) -> dict:
    """Run the whole benchmark and write conditions.csv, summary.json and examples.png into the
    folder `out` (`combined`, `non_digits`: as for render_benchmark)."""
    from .figures import photo_examples_figure
    from .photo_benchmark import render_benchmark, score

    out = Path(out)
    rendered = render_benchmark(sources, per_condition, seed, threads=threads, combined=combined, non_digits=non_digits)
    scored = score(model, rendered, photos_folder, unsure_below)
    summary = write_scores(scored, out / "conditions.csv", out / "summary.json", per_condition, seed)
    photo_examples_figure(rendered.examples).savefig(out / "examples.png", dpi=120)
    return summary
