"""Which sets the recogniser trains on and which are held out as other writers."""

import cv2
import numpy as np

from digitstudy.data.arrays import Split
from digitstudy.ex3.training_data import assemble


def _digits(count, size, label_offset=0):
    images = np.zeros((count, size, size), np.uint8)
    for index in range(count):
        cv2.putText(
            images[index],
            str(index % 10),
            (size // 5, size - size // 5),
            cv2.FONT_HERSHEY_SIMPLEX,
            size / 30,
            255,
            max(1, size // 14),
        )
    return Split(images, (np.arange(count) + label_offset) % 10)


def _inputs():
    splits = {
        "mnist_arrays": {"train": _digits(30, 28), "test": _digits(10, 28)},
        "usps_arrays": {"train": _digits(20, 16), "test": _digits(10, 16)},
        "semeion_arrays": {"all": _digits(12, 16)},
    }
    provenance = {f"{name}_provenance": {"available": True} for name in ("mnist", "usps", "semeion")}
    return splits, provenance


def test_sets_left_out_of_training_are_held_out_entirely():
    data = assemble(*_inputs(), train_sets=["mnist", "semeion"], repeats=3)
    assert data.train_sources == ["mnist train", "semeion (x3)"]
    assert len(data.train.labels) == 30 + 12  # each image once, and how often it is shown per epoch:
    assert sorted(np.bincount(data.train_copies)[1:].tolist()) == [0, 12, 30]
    assert data.train_copies.sum() == 30 + 3 * 12
    assert data.held_out_writers == ["usps train", "usps test"]
    assert set(data.evaluation) == {"mnist test", "usps train", "usps test"}
    assert data.train.images.shape[1:] == (28, 28)


def test_a_trained_set_is_evaluated_on_its_test_split_only_and_not_as_held_out():
    data = assemble(*_inputs(), train_sets=["mnist", "usps"], repeats=1)
    assert data.train_sources == ["mnist train", "usps train"]
    assert data.held_out_writers == ["semeion"]
    assert set(data.evaluation) == {"mnist test", "usps test", "semeion"}


def test_training_on_everything_warns_that_generalisation_is_not_measured():
    data = assemble(*_inputs(), train_sets=["mnist", "usps", "semeion"])
    assert data.held_out_writers == []
    assert any("not measured" in warning for warning in data.warnings)


def test_unavailable_set_is_skipped_with_a_warning():
    splits, provenance = _inputs()
    provenance["usps_provenance"] = {"available": False, "warnings": ["download failed"]}
    data = assemble(splits, provenance, train_sets=["mnist", "semeion"])
    assert "usps test" not in data.evaluation and any("USPS unavailable" in w for w in data.warnings)


def test_the_training_order_follows_the_configured_seed():
    orders = [assemble(*_inputs(), train_sets=["mnist", "semeion"], seed=seed).train.labels for seed in (0, 0, 7)]
    np.testing.assert_array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[0], orders[2])


def test_limit_keeps_the_first_images_of_each_training_set():
    data = assemble(*_inputs(), train_sets=["mnist", "semeion"], repeats=2, limit=8)
    assert len(data.train.labels) == 8 + 8 and data.train_copies.sum() == 8 + 2 * 8


def test_pen_digits_are_added_once_each_and_only_when_listed():
    data = assemble(*_inputs(), train_sets=["mnist", "semeion", "pen"], repeats=3, pen_count=20)
    assert data.train_sources == ["mnist train", "semeion (x3)", "pen digits"]
    assert len(data.train.labels) == 30 + 12 + 20 and data.train_copies.sum() == 30 + 3 * 12 + 20
    assert data.missing_digit["pen digits"] == 0
    assert "pen digits" not in assemble(*_inputs(), train_sets=["mnist", "semeion"], pen_count=20).train_sources


def test_limit_also_caps_the_pen_digits():
    data = assemble(*_inputs(), train_sets=["mnist", "pen"], limit=8, pen_count=20)
    assert len(data.train.labels) == 8 + 8
