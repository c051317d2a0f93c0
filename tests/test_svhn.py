import numpy as np
import pytest
import scipy.io

from digitstudy.data import svhn, svhn_format, svhn_standin
from digitstudy.data.arrays import Split
from digitstudy.data.download import DownloadError

STANDIN = {"seed": 3, "train_size": 40, "test_size": 20}


def _official_style_mat(path, labels):
    """Written with scipy directly, exactly as the official files are laid out."""
    count = len(labels)
    images = np.arange(32 * 32 * 3 * count, dtype=np.uint64).reshape(32, 32, 3, count) % 251
    scipy.io.savemat(path, {"X": images.astype(np.uint8), "y": np.asarray(labels, np.uint8).reshape(-1, 1)})
    return images.astype(np.uint8)


def test_loader_reads_official_schema_and_maps_10_to_0(tmp_path):
    raw = _official_style_mat(tmp_path / "train_32x32.mat", [10, 1, 5, 10, 9])
    split = svhn_format.load_svhn_mat(tmp_path / "train_32x32.mat")
    assert split.images.shape == (5, 32, 32, 3) and split.images.dtype == np.uint8
    np.testing.assert_array_equal(split.labels, [0, 1, 5, 0, 9])
    np.testing.assert_array_equal(split.images[2], raw[..., 2])


@pytest.mark.parametrize(
    "content, message",
    [
        ({"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1), np.uint8)}, "32, 32, 3"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.zeros((2, 1), np.uint8)}, "1..10"),
        ({"images": np.zeros(3)}, "lacks"),
    ],
)
def test_loader_rejects_other_layouts(tmp_path, content, message):
    scipy.io.savemat(tmp_path / "bad.mat", content)
    with pytest.raises(svhn_format.SvhnFormatError, match=message):
        svhn_format.load_svhn_mat(tmp_path / "bad.mat")


def test_loader_rejects_non_mat_file(tmp_path):
    (tmp_path / "x.mat").write_text("not a mat file")
    with pytest.raises(svhn_format.SvhnFormatError, match="not a readable"):
        svhn_format.load_svhn_mat(tmp_path / "x.mat")


def test_writer_round_trip_is_byte_identical(tmp_path):
    split = Split(np.random.default_rng(0).integers(0, 256, (7, 32, 32, 3), dtype=np.uint8), np.arange(7))
    svhn_format.write_svhn_mat(tmp_path / "a.mat", split)
    svhn_format.write_svhn_mat(tmp_path / "b.mat", split)
    assert (tmp_path / "a.mat").read_bytes() == (tmp_path / "b.mat").read_bytes()
    raw = scipy.io.loadmat(tmp_path / "a.mat")
    assert raw["X"].shape == (32, 32, 3, 7) and raw["X"].dtype == np.uint8
    assert raw["y"].shape == (7, 1) and raw["y"][0, 0] == 10  # digit 0 is stored as 10
    back = svhn_format.load_svhn_mat(tmp_path / "a.mat")
    np.testing.assert_array_equal(back.images, split.images)
    np.testing.assert_array_equal(back.labels, split.labels)


def test_standin_is_deterministic_and_in_official_schema(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    svhn_standin.generate_standin_mat(first, **STANDIN)
    svhn_standin.generate_standin_mat(second, threads=2, **STANDIN)
    svhn_standin.generate_standin_mat(other, **{**STANDIN, "seed": 4})
    for name in ("train_32x32.mat", "test_32x32.mat"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_bytes() != (other / name).read_bytes()
        raw = scipy.io.loadmat(first / name)
        assert {"X", "y"} <= set(raw) and raw["X"].dtype == np.uint8 and raw["X"].shape[:3] == (32, 32, 3)
        assert raw["y"].min() >= 1 and raw["y"].max() <= 10
    train = svhn_format.load_svhn_mat(first / "train_32x32.mat")
    assert len(train.labels) == 40
    assert train.images.std() > 20  # not blank: backgrounds and digits vary


def test_every_standin_crop_shows_a_digit():
    fonts = svhn_standin.font_paths()
    for index in range(60):
        rng = np.random.default_rng([0, 1, index])
        mask = svhn_standin._digit_mask(rng, index % 10, fonts)
        assert mask[16:48, 16:48].max() > 0.5, f"crop {index} has no ink in its centre"


def test_auto_falls_back_to_standin_with_warning(dead_url, tmp_path):
    provenance = svhn.obtain_svhn_mat("auto", tmp_path / "mat", tmp_path / "raw", STANDIN, base_url=dead_url)
    assert provenance.stand_in and provenance.source == "synthetic"
    assert any("STAND-IN" in w for w in provenance.warnings)
    assert any("download failed" in w and dead_url in w for w in provenance.warnings)
    assert (tmp_path / "mat" / "train_32x32.mat").is_file()


def test_download_source_fails_with_clear_error(dead_url, tmp_path):
    with pytest.raises(DownloadError) as error:
        svhn.obtain_svhn_mat("download", tmp_path / "mat", tmp_path / "raw", STANDIN, base_url=dead_url)
    message = str(error.value)
    assert dead_url + "train_32x32.mat" in message and "e26dedcc434d2e4c54c9b2d4a06d8373" in message
    assert "svhn.source" in message
    assert not (tmp_path / "mat" / "train_32x32.mat").exists()


def test_folder_source_with_wrong_checksum_is_refused(tmp_path):
    folder = tmp_path / "svhn"
    folder.mkdir()
    _official_style_mat(folder / "train_32x32.mat", [1])
    _official_style_mat(folder / "test_32x32.mat", [2])
    with pytest.raises(DownloadError, match="official md5"):
        svhn.obtain_svhn_mat(str(folder), tmp_path / "mat", tmp_path / "raw", STANDIN)


def test_unknown_source_names_the_key(tmp_path):
    with pytest.raises(FileNotFoundError, match="svhn.source"):
        svhn.obtain_svhn_mat("./nowhere", tmp_path / "mat", tmp_path / "raw", STANDIN)


def test_provenance_of_standin_says_it_is_a_standin(tmp_path):
    provenance = svhn_standin.generate_standin_mat(tmp_path, **STANDIN)
    assert provenance.stand_in is True and provenance.parameters["seed"] == 3
    assert provenance.warnings == [svhn_format.STANDIN_WARNING] and "NOT REAL SVHN" in provenance.warnings[0]
