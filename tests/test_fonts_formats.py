"""Handwriting-font digits (data.fonts) and the other sets' formats and non-digits (ex3.formats)."""

from pathlib import Path

import numpy as np
import pytest

from digitstudy.data.download import DownloadError
from digitstudy.data.fonts import STROKE_WIDTHS, Font, fetch_fonts, font_table, render_digit, render_fonts
from digitstudy.ex3.formats import format_variants, low_resolution, non_digits, stretched_binary

FIXTURE_FONTS = Path(__file__).resolve().parents[1] / ".test" / "data" / "fonts"


def test_font_table_lists_open_licence_fonts_with_checksums():
    fonts = font_table()
    assert len(fonts) == 71 and len({f.name for f in fonts}) == 71
    assert {f.licence for f in fonts} <= {"OFL-1.1", "Apache-2.0"}
    assert all(len(f.sha256) == 64 for f in fonts)
    checksum = fonts[0].tarball_checksum
    assert checksum.algorithm == "sha512" and len(checksum.hexdigest) == 128


def test_local_fonts_are_checked_counted_and_drawn(tmp_path):
    paths, provenance = fetch_fonts(str(FIXTURE_FONTS), tmp_path)
    assert sorted(paths) == ["edu-sa-beginner", "gaegu", "neucha"]
    assert provenance.available and provenance.source == "local"
    assert [w for w in provenance.warnings if "not in" in w] and "68 of the 71" in provenance.warnings[0]
    known = {f.name: f.sha256 for f in font_table()}
    assert all(entry["sha256"] == known[Path(entry["name"]).name.split("-latin")[0]] for entry in provenance.files)
    split = render_fonts(paths)["all"]
    assert split.images.shape == (3 * 10 * len(STROKE_WIDTHS), 64, 64) and split.class_counts() == [9] * 10
    thin, thick = render_digit(paths["neucha"], 1, 0), render_digit(paths["neucha"], 1, 2)
    assert (thick > 128).sum() > (thin > 128).sum()  # a wider stroke draws more ink


def test_a_changed_font_file_is_used_with_a_warning_and_a_missing_folder_is_an_error(tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    (folder / "neucha-latin-400-normal.woff").write_bytes((FIXTURE_FONTS / "gaegu-latin-400-normal.woff").read_bytes())
    paths, provenance = fetch_fonts(str(folder), tmp_path / "raw")
    assert list(paths) == ["neucha"] and any("is not the known" in w for w in provenance.warnings)
    with pytest.raises(FileNotFoundError, match="fonts.source"):
        fetch_fonts(str(tmp_path / "nowhere"), tmp_path / "raw")


def test_a_font_no_source_serves_is_skipped_in_auto_and_an_error_in_download(tmp_path, monkeypatch):
    import digitstudy.data.fonts as fonts

    def refuse(url, destination, checksum, **kwargs):
        raise DownloadError(f"no network for {url}")

    monkeypatch.setattr(fonts, "download", refuse)
    monkeypatch.setattr(fonts, "font_table", lambda: [Font("gaegu", "5.3.0", "OFL-1.1", "0" * 64, "sha512-AAAA")])
    paths, provenance = fetch_fonts("auto", tmp_path)
    assert paths == {} and not provenance.available and "no network" in " ".join(provenance.warnings)
    with pytest.raises(DownloadError, match="no network"):
        fetch_fonts("download", tmp_path)


def _bar(height=20, width=4):
    image = np.zeros((28, 28), np.uint8)
    image[4 : 4 + height, 12 : 12 + width] = 255
    return image


def test_stretched_binary_fills_the_box_and_low_resolution_keeps_the_aspect():
    stretched = stretched_binary(_bar(), 0.5)
    assert stretched.shape == (16, 16) and set(np.unique(stretched)) == {255}  # a bar stretched to fill 16x16
    small = low_resolution(_bar())
    rows, cols = np.nonzero(small > 64)
    assert rows.max() - rows.min() + 1 == 16 and cols.max() - cols.min() + 1 <= 4
    assert stretched_binary(np.zeros((28, 28), np.uint8), 0.5).max() == 0


def _one(slant: int) -> np.ndarray:
    import cv2

    image = np.zeros((28, 28), np.uint8)
    cv2.line(image, (14 - slant, 4), (14 + slant, 23), 255, 2)
    cv2.line(image, (14 - slant, 4), (10 - slant, 9), 255, 2)  # a European 1's up-stroke
    return image


def test_format_variants_are_in_mnist_geometry_and_repeat_for_a_seed():
    from digitstudy.ex3.preprocess import centre_of_mass

    images = np.stack([_one(slant) for slant in (-2, 0, 1, 3)] * 5)
    variants, kinds = format_variants(images, seed=3)
    again, _ = format_variants(images, seed=3)
    np.testing.assert_array_equal(variants, again)
    assert set(kinds) == {0, 1} and variants.shape == images.shape
    for variant in variants:
        ys, xs = np.nonzero(variant)
        assert max(np.ptp(ys), np.ptp(xs)) + 1 <= 21  # fitted into MNIST's 20x20 box
        assert np.allclose(centre_of_mass(variant), 14, atol=1.0)
    width = [np.count_nonzero(v.any(axis=0)) for v in variants]
    original = [np.count_nonzero(v.any(axis=0)) for v in images]
    stretched = kinds == 0
    # A narrow 1 stretched to fill a square box comes out much wider than it was written.
    assert np.mean(np.array(width)[stretched]) > 1.5 * np.mean(np.array(original)[stretched])


def test_non_digits_are_in_mnist_geometry_varied_and_seeded():
    clutter = non_digits(40, seed=1)
    assert clutter.shape == (40, 28, 28) and clutter.dtype == np.uint8
    assert (clutter.reshape(40, -1).max(axis=1) > 0).all()
    np.testing.assert_array_equal(clutter, non_digits(40, seed=1))
    assert len({c.tobytes() for c in clutter}) == 40
    assert not np.array_equal(clutter, non_digits(40, seed=2))
