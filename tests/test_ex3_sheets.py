"""cut-sheet: photographed sheets of digits (rendered from MNIST test digits under the photo
benchmark's conditions) become labelled folders, or are refused by row."""

import cv2
import numpy as np
import pytest

from digitstudy.ex3 import photo_simulator as sim
from digitstudy.ex3 import sheets
from digitstudy.ex3.inference import labelled_files
from digitstudy.ex3.preprocess import decode_gray
from tests.conftest import FIXTURES

MNIST = np.load(FIXTURES / "mnist_test_200.npz")
CONDITIONS = {
    "clean": sim.Photo(),
    "lighting gradient": sim.Photo(gradient=0.55),
    "vignetting": sim.Photo(vignette=0.6),
    "cast shadow": sim.Photo(shadow=0.5),
    "grid paper": sim.Photo(lines="grid"),
    "ruled paper": sim.Photo(lines="ruled"),
    "tilt": sim.Photo(tilt=0.04, rotation=3.0),
    "pencil": sim.Photo(ink=tuple(sim.PENCIL), ink_alpha=0.8, pencil_grain=True),
    "blue ink": sim.Photo(ink=tuple(sim.BLUE_INK)),
}


def _sheet(seed: int, photo: sim.Photo, rows: int = 3, columns: int = 10, drift: float = 0.0):
    """Encoded photo, the label string of each row, and each digit's true box."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(MNIST["y_test"]), rows * columns, replace=False).reshape(rows, columns)
    data, boxes = sim.render_sheet([list(MNIST["x_test"][row]) for row in pick], photo, rng, drift=drift)
    return data, ["".join(map(str, MNIST["y_test"][row])) for row in pick], boxes


def _all_right(found: list[list[sheets.Box]], truth: list[list[tuple]]) -> bool:
    """Every found digit is, by position, the digit at the same row and column of the sheet."""
    centres = {
        (r, c): ((x0 + x1) / 2, (y0 + y1) / 2) for r, row in enumerate(truth) for c, (x0, y0, x1, y1) in enumerate(row)
    }
    if [len(row) for row in found] != [len(row) for row in truth]:
        return False
    for r, row in enumerate(found):
        for c, box in enumerate(row):
            nearest = min(centres, key=lambda key: np.hypot(centres[key][0] - box.cx, centres[key][1] - box.cy))
            if nearest != (r, c):
                return False
    return True


def test_synthetic_sheets_are_cut_and_labelled_correctly():
    results = {}
    for name, photo in CONDITIONS.items():
        for seed in range(2):
            data, _, truth = _sheet(seed, photo)
            found, _ = sheets.find_rows(decode_gray(data))
            results[(name, seed)] = _all_right(found, truth)
    for seed in range(2):  # rows that drift up as handwriting does
        data, _, truth = _sheet(10 + seed, sim.Photo(), drift=0.04)
        found, _ = sheets.find_rows(decode_gray(data))
        results[("drift", seed)] = _all_right(found, truth)
    wrong = [key for key, right in results.items() if not right]
    assert sum(results.values()) >= 0.95 * len(results), f"wrong sheets: {wrong}"


def test_cut_sheet_writes_labelled_crops_and_a_check_image(tmp_path):
    data, labels, _ = _sheet(3, CONDITIONS["grid paper"])
    photo = tmp_path / "sheet1.jpg"
    photo.write_bytes(data)
    written = sheets.cut_sheet(photo, labels, tmp_path / "out")
    assert len(written) == 30 and (tmp_path / "out" / "sheet1_check.png").is_file()
    assert tmp_path / "out" / labels[1][4] / "sheet1_r2_c5.png" in written
    files, found_labels = labelled_files(tmp_path / "out")
    assert sorted(found_labels.tolist()) == sorted(int(d) for d in "".join(labels))
    crop = cv2.imread(str(written[0]), cv2.IMREAD_GRAYSCALE)
    assert crop is not None and crop.shape[0] > 40


def test_a_label_count_that_does_not_match_is_refused_with_the_row(tmp_path):
    data, labels, _ = _sheet(4, CONDITIONS["clean"])
    photo = tmp_path / "sheet2.jpg"
    photo.write_bytes(data)
    labels[1] = labels[1][:-1]
    with pytest.raises(sheets.SheetError, match=r"row 2: found 10 digits \(x=.*\), but the labels '\d{9}' have 9"):
        sheets.cut_sheet(photo, labels, tmp_path / "out")
    assert not any(p.is_dir() for p in (tmp_path / "out").iterdir())  # no crops, only the check image
    with pytest.raises(sheets.SheetError, match="found 3 rows of digits, but 2 label strings"):
        sheets.cut_sheet(photo, labels[:2], tmp_path / "out")


def _touching(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Two digits written so close that their strokes touch: one component."""
    a, b = (d[:, d.any(axis=0)] for d in (first, second))
    pair = np.zeros((28, a.shape[1] + b.shape[1] - 2), np.uint8)
    pair[:, : a.shape[1]] = a
    pair[:, -b.shape[1] :] = np.maximum(pair[:, -b.shape[1] :], b)
    return pair


def test_touching_digits_are_refused_by_row_and_specks_ignored(tmp_path):
    x, y = MNIST["x_test"], MNIST["y_test"]
    zeros = np.flatnonzero(y == 0)
    row = list(x[10:20])
    rows = [row, [*row[:5], _touching(x[zeros[0]], x[zeros[1]]), *row[7:]]]
    data, _ = sim.render_sheet(rows, sim.Photo(), np.random.default_rng(5))
    gray = decode_gray(data)
    found, problems = sheets.find_rows(gray)
    # Two wide digits written into each other are as wide as two: named as touching.
    assert any(p.startswith("row 2, digit 6") and "touching" in p for p in problems), problems
    photo = tmp_path / "touching.png"
    cv2.imwrite(str(photo), gray)
    labels = ["".join(map(str, y[10:20])), "".join(map(str, [*y[10:15], 0, 0, *y[17:20]]))]
    with pytest.raises(sheets.SheetError, match=r"row 2: found 9 digits .* - row 2, digit 6 .* \(touching digits\?\)"):
        sheets.cut_sheet(photo, labels, tmp_path / "out")
    # Narrow digits written into each other are no wider than one wide digit: the row's count
    # still refuses them, by row.
    narrow = [row, [*row[:5], _touching(x[20], x[21]), *row[7:]]]
    data, _ = sim.render_sheet(narrow, sim.Photo(), np.random.default_rng(6))
    cv2.imwrite(str(photo), decode_gray(data))
    with pytest.raises(sheets.SheetError, match="row 2: found 9 digits"):
        sheets.cut_sheet(photo, labels, tmp_path / "out")
    # A dot of ink between two digits is not a digit.
    box_a, box_b = found[0][2], found[0][3]
    cv2.circle(gray, (round((box_a.x1 + box_b.x0) / 2), round(box_a.cy)), 4, 30, -1)
    assert len(sheets.find_rows(gray)[0][0]) == 10


def test_labels_from_a_file_and_bad_labels(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("0123456789\n9876543210\n")
    assert sheets.read_labels([str(path)]) == ["0123456789", "9876543210"]
    with pytest.raises(sheets.SheetError, match="digits only"):
        sheets.read_labels(["01234x"])


def test_command_line_cut_sheet(tmp_path):
    from digitstudy.ex3.__main__ import main

    data, labels, _ = _sheet(7, CONDITIONS["ruled paper"], rows=2, columns=5)
    photo = tmp_path / "sheet.jpg"
    photo.write_bytes(data)
    assert main(["cut-sheet", str(photo), "--labels", *labels, "--out", str(tmp_path / "a")]) == 0
    assert len(list((tmp_path / "a").rglob("*_r*_c*.png"))) == 10
    assert main(["cut-sheet", str(photo), "--labels", labels[0], "--out", str(tmp_path / "b")]) == 2
