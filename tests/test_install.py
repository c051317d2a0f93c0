"""The package installed from a wheel, as a user installs it, works outside the checkout: its
schema and data ship inside it, and nothing reads the repository."""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv

import cv2
import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.keras_models import constant_model


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory):
    """A fresh venv with the wheel of this checkout installed (not editable). Its dependencies,
    the pinned ones of the test environment, are reached through a .pth line: a path listed
    there is put on sys.path, but the .pth files inside it (this checkout's editable install)
    are not read, so `digitstudy` can only come from the wheel."""
    root = tmp_path_factory.mktemp("install")
    # Built from a copy: setuptools leaves a build/ folder beside pyproject.toml.
    source = root / "source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", root / "wheel", source],
        check=True,
        capture_output=True,
    )
    (wheel,) = (root / "wheel").glob("digitstudy-*.whl")
    venv.create(root / "venv", with_pip=False)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (root / "venv" / site.split("/venv/", 1)[1] / "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    return python


def _run(python, *args, cwd):
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [python, "-m", "digitstudy.ex3", *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_package_comes_from_the_wheel(installed_python, tmp_path):
    where = subprocess.run(
        [installed_python, "-c", "import digitstudy; print(digitstudy.__file__)"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "site-packages" in where and str(REPO) not in where


def test_installed_commands_run_outside_the_checkout(installed_python, tmp_path):
    from digitstudy.ex3 import photo_simulator as sim

    work = tmp_path / "elsewhere"
    folder = work / "digits"
    for digit in (3, 7):
        (folder / str(digit)).mkdir(parents=True)
        image = np.full((120, 90), 230, np.uint8)
        cv2.putText(image, str(digit), (12, 100), cv2.FONT_HERSHEY_SIMPLEX, 3.2, 20, 9, cv2.LINE_AA)
        cv2.imwrite(str(folder / str(digit) / f"{digit}.png"), image)
    constant_model(7).save(work / "model.h5")
    (work / "submissions").mkdir()
    constant_model(3).save(work / "submissions" / "student.keras")
    mnist = np.load(REPO / ".test" / "data" / "mnist_test_200.npz")
    rng = np.random.default_rng(0)
    sheet, _ = sim.render_sheet([list(mnist["x_test"][:5])], sim.Photo(), rng)
    (work / "sheet.jpg").write_bytes(sheet)
    labels = "".join(map(str, mnist["y_test"][:5]))

    commands = {
        "predict": ["predict", "--model", "model.h5", "--out", "p", "digits"],
        "evaluate": ["evaluate", "--model", "model.h5", "--folder", "digits", "--out", "e"],
        "grade": ["grade", "--submissions", "submissions", "--folder", "digits", "--out", "g"],
        "cut-sheet": ["cut-sheet", "sheet.jpg", "--labels", labels, "--out", "cut"],
    }
    for name, args in commands.items():
        result = _run(installed_python, *args, cwd=work)
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
    assert pd.read_csv(work / "p" / "predictions.csv").digit.tolist() == [7, 7]
    assert (work / "e" / "confusion_matrix.png").exists()
    assert pd.read_csv(work / "g" / "grades.csv").accuracy.tolist() == [0.5]
    assert len(list((work / "cut").rglob("*.png"))) >= 5
