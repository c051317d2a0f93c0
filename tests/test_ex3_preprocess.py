"""Own-digit preprocessing: polarity, MNIST geometry, empty and unreadable inputs."""

import cv2
import numpy as np
import pytest

from digitstudy.ex3.preprocess import (
    BOX,
    UnreadableImage,
    centre_of_mass,
    preprocess_file,
    preprocess_gray,
)


def _photo(digit="7", dark_ink=True, height=300, width=220, thickness=18):
    """A digit on paper lit unevenly (a brightness ramp across the page)."""
    image = np.full((height, width), 215, np.float32)
    image += np.linspace(-40, 30, width)[None, :] + np.linspace(-20, 20, height)[:, None]
    image = np.clip(image, 0, 255).astype(np.uint8)
    cv2.putText(image, digit, (40, 230), cv2.FONT_HERSHEY_SIMPLEX, 7, 30, thickness, cv2.LINE_AA)
    return image if dark_ink else 255 - image


@pytest.mark.parametrize("dark_ink", [True, False])
def test_polarity_is_detected_both_ways(dark_ink):
    result = preprocess_gray(_photo(dark_ink=dark_ink))
    assert result.inverted is (not dark_ink)
    assert result.image.shape == (28, 28) and result.image.dtype == np.uint8
    # White digit on black, as MNIST: the border is black, the strokes bright.
    assert result.image[0].max() == 0 and result.image.max() > 200


@pytest.mark.parametrize("digit", ["1", "4", "7", "0"])
def test_mnist_geometry(digit):
    image = preprocess_gray(_photo(digit)).image
    row, column = centre_of_mass(image)
    assert abs(row - 14) <= 0.5 and abs(column - 14) <= 0.5
    ys, xs = np.nonzero(image > 0)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert max(height, width) <= BOX + 2  # 20x20 box (+1 px of interpolation each side)
    assert max(height, width) >= BOX - 2  # and it fills the box along its longer side


def test_aspect_ratio_is_kept():
    tall = np.full((200, 200), 230, np.uint8)
    cv2.rectangle(tall, (90, 20), (110, 180), 20, -1)  # 21 wide, 161 tall
    image = preprocess_gray(tall).image
    ys, xs = np.nonzero(image > 64)
    assert 18 <= ys.max() - ys.min() + 1 <= 21
    assert xs.max() - xs.min() + 1 <= 5


@pytest.mark.parametrize("blank", [np.full((120, 90), 200, np.uint8), np.zeros((50, 50), np.uint8)])
def test_image_without_ink_gives_no_digit(blank):
    result = preprocess_gray(blank)
    assert result.image is None and "no digit found" in result.reason


def test_deterministic():
    photo = _photo("3")
    np.testing.assert_array_equal(preprocess_gray(photo).image, preprocess_gray(photo).image)


def test_files_any_format_and_bad_files(tmp_path):
    photo = _photo("5")
    cv2.imwrite(str(tmp_path / "five.jpg"), cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))
    cv2.imwrite(str(tmp_path / "five.png"), photo)
    assert preprocess_file(tmp_path / "five.jpg").image is not None
    assert preprocess_file(tmp_path / "five.png").image is not None
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    for name in ("empty.png", "text.png", "missing.png"):
        with pytest.raises(UnreadableImage, match=name):
            preprocess_file(tmp_path / name)


def _similar(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def test_tight_crop_of_a_thick_digit_keeps_its_strokes():
    """A digit that fills its image (USPS-style, or cropped tightly) must come out as it does
    with paper around it: strokes along the edge are not taken for paper."""
    roomy = np.full((260, 260), 225, np.uint8)
    # A 0 whose stroke is a third of its width, as in USPS (and in marker pen).
    cv2.ellipse(roomy, (130, 130), (52, 80), 0, 0, 360, 25, 50)
    ys, xs = np.nonzero(roomy < 128)
    tight = roomy[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    a, b = preprocess_gray(roomy).image, preprocess_gray(tight).image
    assert _similar(a, b) > 0.95
    # The ring is closed: every row through the middle has ink on both sides of the hole.
    middle = b[10:18]
    assert (middle[:, :12].max(axis=1) > 128).all() and (middle[:, 16:].max(axis=1) > 128).all()
    assert b[14, 14] < 64  # and the hole stays empty


def test_faint_stroke_joined_to_the_digit_is_kept_and_a_faint_speck_is_not():
    image = np.full((200, 200), 230, np.uint8)
    cv2.line(image, (60, 40), (140, 40), 40, 12)  # the bar of a 7, dark ink
    cv2.line(image, (140, 40), (90, 170), 170, 10)  # its stem, drawn faintly
    cv2.circle(image, (20, 180), 5, 170, -1)  # a faint speck on its own
    result = preprocess_gray(image).image
    ys, xs = np.nonzero(result > 32)
    # The stem makes the digit taller than wide: the 20 px side is the height.
    assert ys.max() - ys.min() + 1 >= BOX - 2 and xs.max() - xs.min() + 1 < BOX - 2
    assert result[25:, 2:8].max() < 32  # no speck bottom left
