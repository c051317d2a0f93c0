"""predict / evaluate / grade on small fixtures, with models whose answers are known."""

import cv2
import keras
import numpy as np
import pytest

from digitstudy.ex3.grading import Limits, grade
from digitstudy.ex3.inference import evaluate, image_files, predict_table
from digitstudy.settings import schema_defaults
from tests.keras_models import constant_model


def _digit_image(digit: int, path, dark_ink=True):
    image = np.full((120, 90), 230 if dark_ink else 25, np.uint8)
    cv2.putText(image, str(digit), (12, 100), cv2.FONT_HERSHEY_SIMPLEX, 3.2, 20 if dark_ink else 235, 9, cv2.LINE_AA)
    cv2.imwrite(str(path), image)


@pytest.fixture
def labelled(tmp_path):
    root = tmp_path / "digits"
    for digit, count in ((7, 3), (1, 1)):
        (root / str(digit)).mkdir(parents=True)
        for i in range(count):
            _digit_image(digit, root / str(digit) / f"{digit}_{i}.png", dark_ink=i % 2 == 0)
    (root / "1" / "broken.jpg").write_text("not an image")
    return root


def test_predict_reports_every_file(tmp_path, labelled):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 200, np.uint8))
    files = image_files([labelled / "7", blank, labelled / "1" / "broken.jpg"])
    table, _ = predict_table(constant_model(7), files)
    assert len(table) == 5
    assert (table.loc[table.status == "ok", "digit"] == 7).all() and (table.status == "ok").sum() == 3
    assert table.loc[table.file.str.endswith("blank.png"), "status"].iloc[0].startswith("no digit found")
    assert "broken.jpg" in table.loc[table.file.str.endswith("broken.jpg"), "status"].iloc[0]
    assert table.loc[table.status == "ok", "top3"].str.startswith("7:").all()


def test_evaluate_counts_unreadable_as_wrong(labelled):
    result = evaluate(constant_model(7), labelled)
    assert result.accuracy == pytest.approx(3 / 5)
    per_class = result.per_class.set_index("label")
    assert per_class.loc[7, "accuracy"] == 1.0 and per_class.loc[1, "accuracy"] == 0.0
    assert result.confusion[7, 7] == 3 and result.confusion[1, 7] == 1 and result.confusion.sum() == 4


def test_grade_marks_and_refusals(tmp_path, labelled):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    constant_model(7).save(submissions / "alice.h5")
    constant_model(1, input_shape=(28, 28, 1)).save(submissions / "bob.keras")
    constant_model(7, input_shape=(32, 32, 3)).save(submissions / "carol.h5")
    constant_model(1, input_shape=(784,)).save(submissions / "frank.h5")  # flat input, as Ex1's MLPs take
    (submissions / "dave.h5").write_bytes(b"corrupt")
    lam = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Lambda(lambda x: x),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    lam.save(submissions / "eve.keras")
    limits = Limits.from_config(schema_defaults("ex3")["grade"]["limits"])
    table = grade(sorted(submissions.iterdir()), labelled, limits).set_index("submission")
    assert table.loc["alice.h5", "accuracy"] == pytest.approx(3 / 5) and table.loc["alice.h5", "marks"] == 40.0
    assert table.loc["bob.keras", "accuracy"] == pytest.approx(1 / 5)
    assert table.loc["bob.keras", "marks"] == pytest.approx(40 * (1 / 5) / (3 / 5), abs=0.01)
    assert table.loc["frank.h5", "status"] == "graded" and table.loc["frank.h5", "accuracy"] == pytest.approx(1 / 5)
    for name, reason in (("carol.h5", "input shape"), ("dave.h5", "dave.h5"), ("eve.keras", "Lambda")):
        assert table.loc[name, "marks"] == 0.0 and table.loc[name, "status"].startswith("refused")
        assert reason in table.loc[name, "status"]


def test_command_line_predict_evaluate_grade(tmp_path, labelled):
    import pandas as pd

    from digitstudy.ex3.__main__ import main

    model = tmp_path / "m.h5"
    constant_model(7).save(model)
    assert main(["predict", "--model", str(model), "--out", str(tmp_path / "p"), str(labelled)]) == 0
    predictions = pd.read_csv(tmp_path / "p" / "predictions.csv")
    assert len(predictions) == 5 and (tmp_path / "p" / "contact_sheet.png").stat().st_size > 5_000
    assert main(["evaluate", "--model", str(model), "--folder", str(labelled), "--out", str(tmp_path / "e")]) == 0
    assert (tmp_path / "e" / "mistakes.png").exists() and (tmp_path / "e" / "confusion_matrix.png").exists()
    submissions = tmp_path / "subs"
    submissions.mkdir()
    constant_model(7).save(submissions / "a.keras")
    assert (
        main(["grade", "--submissions", str(submissions), "--folder", str(labelled), "--out", str(tmp_path / "g")]) == 0
    )
    assert pd.read_csv(tmp_path / "g" / "grades.csv").marks.tolist() == [40.0]


def test_unsure_flags_predictions_below_the_threshold(tmp_path, labelled):
    files = image_files([labelled / "7"])
    # The constant model answers 7 with confidence e^5 / (e^5 + 9 e^-5) ~ 0.9996.
    sure, _ = predict_table(constant_model(7), files, unsure_below=0.5)
    doubtful, _ = predict_table(constant_model(7), files, unsure_below=0.99999)
    unknown, _ = predict_table(constant_model(7), files)
    assert not sure.unsure.any() and doubtful.unsure.all() and not unknown.unsure.any()
    assert (doubtful.digit == 7).all()  # flagged, not dropped


def test_unsure_threshold_is_read_from_the_model_card_beside_the_model(tmp_path):
    import json

    from digitstudy.ex3.outputs import unsure_below

    model = tmp_path / "recogniser.keras"
    assert unsure_below(model) is None
    (tmp_path / "training_card.json").write_text(json.dumps({"unsure": {"below": 0.8}}))
    assert unsure_below(model) == 0.8
    (tmp_path / "model_card.json").write_text(json.dumps({"unsure": {"below": 0.7}}))
    assert unsure_below(model) == 0.7 and unsure_below(model, given=0.5) == 0.5


def _huge_png(path, side=40_000):
    """A valid PNG of side x side pixels that takes ~1.6 MB: white rows, deflated."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * side
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def test_an_oversized_image_is_reported_by_name_and_the_others_predicted(tmp_path, labelled):
    import pandas as pd

    from digitstudy.ex3.outputs import PredictionFiles, write_predictions

    folder = tmp_path / "mixed"
    folder.mkdir()
    for path in (labelled / "7").iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    _huge_png(folder / "huge.png")
    model = tmp_path / "m.h5"
    constant_model(7).save(model)
    write_predictions(str(model), [str(folder)], PredictionFiles.in_folder(tmp_path / "out"))
    table = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert (table.status == "ok").sum() == 3
    status = table.loc[table.file.str.endswith("huge.png"), "status"].iloc[0]
    assert status.startswith("unreadable: ") and "huge.png" in status and "1600000000 pixels" in status


def test_a_gif_is_read_and_other_files_are_named_in_a_warning(tmp_path, caplog):
    from PIL import Image

    folder = tmp_path / "inputs"
    folder.mkdir()
    image = np.full((120, 90), 230, np.uint8)
    cv2.putText(image, "7", (12, 100), cv2.FONT_HERSHEY_SIMPLEX, 3.2, 20, 9, cv2.LINE_AA)
    Image.fromarray(image).save(folder / "seven.gif")
    (folder / "notes.txt").write_text("not an image")
    (folder / ".DS_Store").write_bytes(b"\0")
    with caplog.at_level("WARNING"):
        files = image_files([folder])
    assert [p.name for p in files] == ["seven.gif"]
    assert "notes.txt" in caplog.text and ".DS_Store" not in caplog.text
    table, _ = predict_table(constant_model(7), files)
    assert table.status.tolist() == ["ok"]
