"""Assemble the report from one run's result files and render it with Jinja2.

The context is a list of sections in the assignment's order; each holds theory (fixed),
sentences (computed, see observations), tables (see tables) and figures. The HTML and the
LaTeX template walk the same sections, so both reports say the same thing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from ..data.svhn_format import STANDIN_LABEL
from . import observations as obs
from . import provenance as prov
from . import tables
from .mathml import tex_to_html
from .tables import STANDIN_NOTE, Table


@dataclass
class Figure:
    path: str
    caption: str
    stand_in: bool = False


@dataclass
class Section:
    id: str
    title: str
    theory_tex: str = ""
    sentences: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    note: str = ""  # fixed explanation of what the section shows (not a result)
    stand_in: bool = False
    canvas_model: str = ""  # JSON of the recogniser for the draw-a-digit canvas (HTML only)
    canvas_note: str = ""  # why there is no canvas


def _epoch_of(path: str) -> int:
    match = re.search(r"epoch(\d+)", Path(path).name)
    return int(match.group(1)) if match else -1


def build_sections(files) -> list[Section]:
    """`files`: the report rule's named inputs (rules/common.smk, report_inputs), by attribute;
    an optional input that was not run is empty."""
    ex2_metrics = tables.read_json(files.ex2_metrics)
    stand_in = bool(ex2_metrics["data"]["stand_in"])
    return [
        _data_section(files, stand_in),
        *_ex1_sections(files),
        *_ex2_sections(files, ex2_metrics, stand_in),
        _ex3_section(files),
    ]


def _data_section(files, stand_in: bool) -> Section:
    figures = [
        Figure(p, f"Samples of {Path(p).stem.replace('_samples', '')}", "svhn" in Path(p).name and stand_in)
        for p in files.data_samples
    ]
    note = "Images per split and digit, where each dataset came from, and a few samples of each."
    counts = [tables.dataset_counts(files.datasets_csv)]
    return Section("data", "Data", note=note, tables=counts, figures=figures, stand_in=stand_in)


def _ex1_sections(files) -> list[Section]:
    facts = tables.read_json(files.ex1_observations)
    curves = [
        Figure(p, f"Learning curves ({Path(p).stem.rsplit('_', 1)[-1]}), mean ± std over seeds")
        for p in files.ex1_learning_curves
    ]
    return [
        Section(
            "ex1a",
            "Exercise 1 A: backpropagation and the range of each activation's derivative",
            theory_tex=Path(files.theory_backprop).read_text(),
            sentences=obs.ex1_derivative_ranges(pd.read_csv(files.ex1_ranges)),
            tables=[tables.derivative_ranges(files.ex1_ranges)],
            figures=[Figure(files.ex1_activations_png, "The grid's activations f and their derivatives f'")],
        ),
        Section(
            "ex1b",
            "Exercise 1 B: test scores by depth and activation",
            sentences=obs.ex1_scores(facts),
            tables=[tables.scores(files.ex1_scores)],
            figures=[Figure(files.ex1_scores_png, "Test accuracy by depth, mean ± std over seeds"), *curves],
        ),
        Section(
            "ex1c",
            "Exercise 1 C: layer depth vs maximum gradient",
            note="Maximum absolute gradient of the loss with respect to each layer's weights, on one fixed batch.",
            sentences=obs.ex1_gradients(facts),
            tables=[tables.gradient_orders(files.ex1_observations)],
            figures=[
                Figure(p, f"Layer depth vs max |dL/dW| at epoch {_epoch_of(p)}")
                for p in sorted(files.ex1_gradient_figures, key=_epoch_of)
            ],
        ),
        _ex1_lecun_section(files),
    ]


def _ex1_lecun_section(files) -> Section:
    title = "Exercise 1 D: LeCun's scaled tanh"
    if not files.ex1_lecun_json:
        return Section("ex1d", title, note="Not run: the configuration's ex1.activations lacks lecun or its baseline.")
    gradients = "Gradients per layer of the untrained networks, LeCun vs baseline"
    return Section(
        "ex1d",
        title,
        theory_tex=Path(files.theory_lecun).read_text(),
        sentences=obs.ex1_lecun(tables.read_json(files.ex1_lecun_json)),
        tables=[
            tables.lecun_comparison(files.ex1_lecun_json),
            tables.scores(files.ex1_lecun_scores, "ex1-lecun-scores", "LeCun and its baseline: test scores"),
        ],
        figures=[
            Figure(files.ex1_lecun_curves, "Learning curves, LeCun vs baseline"),
            Figure(files.ex1_lecun_untrained_gradients, gradients),
        ],
    )


def _ex2_sections(files, ex2_metrics: dict, stand_in: bool) -> list[Section]:
    curves = "Training and validation curves; the restored epoch is marked"
    feature_maps = [
        Figure(str(p), f"Feature maps for a test image of digit {p.stem.removeprefix('digit')}", stand_in)
        for p in sorted(Path(files.ex2_feature_maps).glob("*.png"))
    ]
    return [
        Section(
            "ex2a",
            "Exercise 2 A: a small CNN on SVHN",
            sentences=obs.ex2(ex2_metrics),
            tables=[
                tables.shape_trace(files.ex2_shape_trace, stand_in),
                tables.cnn_summary(files.ex2_metrics),
                tables.cnn_per_class(files.ex2_metrics),
            ],
            figures=[
                Figure(files.ex2_training_curves, curves, stand_in),
                Figure(files.ex2_confusion, "Confusion matrix on the test set", stand_in),
            ],
            stand_in=stand_in,
        ),
        Section(
            "ex2b",
            "Exercise 2 B: filters and feature maps",
            note="First-layer kernels, and the output of every filter for one test image per digit.",
            figures=[Figure(files.ex2_kernels, "First convolutional layer's kernels", stand_in), *feature_maps],
            stand_in=stand_in,
        ),
    ]


def _ex3_section(files) -> Section:
    card = tables.read_json(files.ex3_model_card)
    ex3 = Section(
        "ex3",
        "Exercise 3: the handwritten-digit recogniser",
        note=f"Preprocessing (the same for training, evaluation, prediction and grading): {card['preprocessing']}.",
        sentences=obs.ex3(card) + [f"Warning: {w}" for w in card.get("warnings", [])],
        tables=[tables.recogniser_accuracy(files.ex3_model_card)],
    )
    if (held_out_table := tables.leave_one_out(files.ex3_model_card)) is not None:
        ex3.tables.append(held_out_table)
    if files.ex3_evaluations:
        # One folder per evaluated set, named after it; its files in the same order in each list.
        names = {Path(p).parent.name: p for p in files.ex3_evaluations}
        ex3.tables.append(tables.evaluations(names))
        for name, confusion, mistakes in zip(names, files.ex3_evaluation_confusions, files.ex3_evaluation_mistakes):
            ex3.figures += [
                Figure(confusion, f"{name}: confusion matrix"),
                Figure(mistakes, f"{name}: misrecognised images"),
            ]
    ex3.tables.append(tables.photo_benchmark(files.ex3_photo_benchmark_conditions))
    ex3.sentences += obs.photo_benchmark(tables.read_json(files.ex3_photo_benchmark_summary))
    examples = "Photo benchmark: one simulated photo per condition and the 28x28 image the network was given"
    ex3.figures.append(Figure(files.ex3_photo_benchmark_examples, examples))
    _add_canvas(ex3, tables.read_json(files.ex3_web_model))
    if sheet := files.ex3_contact_sheet:
        ex3.figures.append(Figure(sheet, "Predictions: raw image, preprocessed 28x28, predicted digit"))
    if files.ex3_grades:
        ex3.tables.append(tables.grades(files.ex3_grades))
        ex3.sentences += obs.grading(pd.read_csv(files.ex3_grades))
    return ex3


def _add_canvas(section: Section, web: dict) -> None:
    """The draw-a-digit canvas's model (its script is in the template), or why there is none."""
    if "model" in web:
        section.canvas_model = json.dumps(web, separators=(",", ":")).replace("</", "<\\/")
    else:
        section.canvas_note = (
            "No draw-a-digit canvas: the recogniser uses what the page's JavaScript does not implement "
            f"({web.get('unsupported')})."
        )


def build_provenance(files, config: dict, workflow_dir: str | Path) -> dict:
    return {
        "commit": prov.git_commit(workflow_dir),
        "rendered_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "tables": [prov.package_versions(), prov.data_sources(files.data_provenance), prov.runtimes(files.benchmarks)],
        "warnings": prov.data_warnings(files.data_provenance),
        "seeds": prov.seeds(config),
        "config_yaml": prov.config_yaml(config),
    }


# --- rendering -------------------------------------------------------------------------

_LATEX_SPECIAL = {
    **{c: "\\" + c for c in "&%$#_{}"},
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "’": "'",
    "–": "--",
    "/": r"/\allowbreak{}",  # long paths and URLs may break after a slash
}
_LATEX_PATTERN = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(value) -> str:
    return str(value) if isinstance(value, Markup) else _LATEX_PATTERN.sub(lambda m: _LATEX_SPECIAL[m[0]], str(value))


def data_uri(path: str | Path) -> Markup:
    """An image embedded in the HTML, so that the report is one file that opens offline."""
    return Markup("data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii"))


def _environment(template_dir: str | Path, **options) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(template_dir)
    undefined = jinja2.StrictUndefined
    return jinja2.Environment(loader=loader, undefined=undefined, trim_blocks=True, lstrip_blocks=True, **options)


def html_environment(template_dir: str | Path) -> jinja2.Environment:
    env = _environment(template_dir, autoescape=True)
    env.filters["data_uri"] = data_uri
    env.filters["mathml"] = lambda tex: Markup(tex_to_html(tex))
    return env


def latex_environment(template_dir: str | Path) -> jinja2.Environment:
    # LaTeX-friendly delimiters; every printed value is escaped unless it is Markup (raw LaTeX).
    env = _environment(
        template_dir,
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_statement_prefix="%%",
        line_comment_prefix="%#",
        finalize=latex_escape,
    )
    env.filters["raw"] = Markup
    return env


def render(
    files, config: dict, template_dir: str | Path, workflow_dir: str | Path, html_out: str | Path, tex_out: str | Path
) -> list[Section]:
    sections = build_sections(files)
    common = {
        "title": "Depth, activations and digit recognition: a reproducible Keras study",
        "sections": sections,
        "provenance": build_provenance(files, config, workflow_dir),
        "stand_in": any(s.stand_in for s in sections),
        "standin_note": STANDIN_NOTE,
        "standin_figure_note": STANDIN_LABEL,
    }
    html = html_environment(template_dir).get_template("report.html.j2").render(**common)
    Path(html_out).parent.mkdir(parents=True, exist_ok=True)
    Path(html_out).write_text(html)
    tex_dir = Path(tex_out).parent.resolve()
    template = latex_environment(template_dir).get_template("report.tex.j2")
    tex = template.render(
        **common, graphics=lambda p: Markup(Path(os.path.relpath(Path(p).resolve(), tex_dir)).as_posix())
    )
    Path(tex_out).write_text(tex.lstrip())  # the template's leading comment lines leave blank lines
    return sections
