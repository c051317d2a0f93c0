import bz2

import h5py
import numpy as np
import pytest

from digitstudy.data import writers
from digitstudy.data.download import DownloadError
from tests.conftest import FIXTURES


def test_usps_h5_loader(tmp_path):
    path = tmp_path / "usps.h5"
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as handle:
        for name, count in (("train", 5), ("test", 3)):
            handle[f"{name}/data"] = rng.uniform(0, 1, (count, 256)).astype(np.float32)
            handle[f"{name}/target"] = np.arange(count)
    splits = writers.read_usps_h5(path)
    assert splits["train"].images.shape == (5, 16, 16) and splits["train"].images.dtype == np.uint8
    np.testing.assert_array_equal(splits["test"].labels, [0, 1, 2])


def test_usps_libsvm_loader_maps_labels_and_pixels(tmp_path):
    path = tmp_path / "usps.bz2"
    rows = [
        "1 " + " ".join(f"{i}:{v}" for i, v in enumerate([-1.0, 1.0] + [0.0] * 254, start=1)),
        "10 " + " ".join(f"{i}:1" for i in range(1, 257)),
    ]
    path.write_bytes(bz2.compress(("\n".join(rows) + "\n").encode()))
    split = writers.read_usps_libsvm(path)
    np.testing.assert_array_equal(split.labels, [0, 9])
    assert split.images[0, 0, 0] == 0 and split.images[0, 0, 1] == 255 and split.images[0, 0, 2] == 128
    assert split.images[1].min() == 255


def test_usps_libsvm_omitted_feature_is_zero_and_bad_lines_are_named(tmp_path):
    path = tmp_path / "usps.t.bz2"
    path.write_bytes(bz2.compress(b"3 1:-1 3:1\n"))  # feature 2 omitted: 0, mid-grey
    split = writers.read_usps_libsvm(path)
    assert split.labels.tolist() == [2] and split.images[0, 0, :4].tolist() == [0, 128, 255, 128]
    path.write_bytes(bz2.compress(b"3 1:-1 x:y\n"))
    with pytest.raises(writers.DatasetFormatError, match="usps.t.bz2"):
        writers.read_usps_libsvm(path)


def test_semeion_loader(tmp_path):
    path = tmp_path / "semeion.data"
    pixels = np.zeros((2, 256), int)
    pixels[0, :5] = 1
    labels = np.eye(10, dtype=int)[[3, 7]]
    np.savetxt(path, np.hstack([pixels, labels]), fmt="%d")
    split = writers.read_semeion(path)
    np.testing.assert_array_equal(split.labels, [3, 7])
    assert split.images[0, 0, :5].tolist() == [255] * 5 and split.images[1].max() == 0


def test_semeion_rejects_wrong_width(tmp_path):
    path = tmp_path / "semeion.data"
    np.savetxt(path, np.zeros((2, 100)), fmt="%d")
    with pytest.raises(writers.DatasetFormatError, match="266 columns"):
        writers.read_semeion(path)


def test_auto_marks_unreachable_set_unavailable(monkeypatch, dead_url, tmp_path):
    monkeypatch.setattr(writers, "SEMEION_URL", dead_url + "semeion.data")
    splits, provenance = writers.fetch_semeion("auto", tmp_path)
    assert provenance.available is False and len(splits["all"].labels) == 0
    assert "unavailable" in provenance.warnings[0] and dead_url in provenance.warnings[0]


def test_explicit_download_raises(monkeypatch, dead_url, tmp_path):
    monkeypatch.setattr(writers, "SEMEION_URL", dead_url + "semeion.data")
    with pytest.raises(DownloadError):
        writers.fetch_semeion("download", tmp_path)


def test_fixture_subsets_load_with_their_class_counts(tmp_path):
    usps, provenance = writers.fetch_usps(str(FIXTURES / "usps.h5"), tmp_path)
    assert provenance.source == "local"
    assert usps["train"].class_counts() == [20] * 10 and usps["test"].class_counts() == [10] * 10
    assert usps["train"].images.shape == (200, 16, 16) and usps["train"].images.max() == 255
    semeion, provenance = writers.fetch_semeion(str(FIXTURES / "semeion.data"), tmp_path)
    assert semeion["all"].class_counts() == [20] * 10
    assert set(np.unique(semeion["all"].images)) == {0, 255}
