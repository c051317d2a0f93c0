"""Digits drawn as pen strokes: balanced, reproducible, inside the canvas, each found as a digit."""

import numpy as np
import pytest

from digitstudy.ex3.pen_digits import CANVAS, SHAPES, PenVariation, _spline, draw_digit, pen_digits
from digitstudy.ex3.preprocess import to_mnist_geometry


def test_every_digit_has_shapes_and_the_set_is_balanced():
    assert sorted(SHAPES) == list(range(10)) and all(SHAPES[digit] for digit in SHAPES)
    digits = pen_digits(50, seed=3)
    assert digits.images.shape == (50, CANVAS, CANVAS) and digits.images.dtype == np.uint8
    assert np.bincount(digits.labels, minlength=10).tolist() == [5] * 10


def test_the_same_seed_draws_the_same_digits_and_another_seed_others():
    first, again, other = pen_digits(20, seed=1), pen_digits(20, seed=1), pen_digits(20, seed=2)
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert not np.array_equal(first.images, other.images)


@pytest.mark.parametrize("digit", range(10))
def test_each_shape_stays_inside_the_canvas_and_is_found_as_a_digit(digit):
    rng = np.random.default_rng(digit)
    images = np.stack([draw_digit(shape, rng) for shape in SHAPES[digit] for _ in range(10)])
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    assert border.max() == 0, "a stroke reached the edge of the canvas"
    assert (images > 127).mean(axis=(1, 2)).min() > 0.02  # every image has ink
    _, found = to_mnist_geometry(images)
    assert found.all()


def test_the_pen_width_follows_the_variation():
    rng_thin, rng_thick = np.random.default_rng(0), np.random.default_rng(0)
    thin = draw_digit(SHAPES[1][0], rng_thin, PenVariation(pen=(0.04, 0.04)))
    thick = draw_digit(SHAPES[1][0], rng_thick, PenVariation(pen=(0.2, 0.2)))
    assert (thick > 127).sum() > 3 * (thin > 127).sum()


def test_a_repeated_control_point_is_a_corner_the_curve_passes_through():
    corner = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    curve = _spline(corner)
    assert np.isclose(np.linalg.norm(curve - [1.0, 0.0], axis=1).min(), 0)
    # Both legs are straight: a corner does not round off into the other leg.
    first_leg = curve[curve[:, 1] < 1e-12]
    assert np.allclose(first_leg[:, 1], 0) and len(first_leg) >= 12
