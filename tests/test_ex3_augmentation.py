"""Training-time augmentation: the bilinear warp, the elastic field, and the whole map function."""

import numpy as np
import tensorflow as tf

from digitstudy.ex3.augmentation import augmenter, elastic_field, warp_bilinear
from digitstudy.ex3.recogniser import RecogniserSettings
from digitstudy.settings import schema_defaults

NO_AUGMENTATION = dict(rotation_degrees=0, zoom=0, shear=0, shift=0, stroke_change_probability=0,
                       elastic_displacement=0)


def _settings(**changes):
    return RecogniserSettings.from_config({**schema_defaults("ex3"), **NO_AUGMENTATION, **changes})


def _images(count=3, seed=0):
    return np.random.default_rng(seed).random((count, 28, 28)).astype(np.float32)


def test_warp_without_displacement_is_the_identity():
    x = _images()
    zero = tf.zeros((28, 28))
    np.testing.assert_allclose(warp_bilinear(tf.constant(x), zero, zero).numpy(), x, atol=1e-6)


def test_warp_by_whole_pixels_shifts_and_fills_with_background():
    x = _images()
    # Sampling one column to the right moves the content one column left; the last column is
    # outside the image and reads as background.
    out = warp_bilinear(tf.constant(x), tf.zeros((28, 28)), tf.ones((28, 28))).numpy()
    np.testing.assert_allclose(out[:, :, :-1], x[:, :, 1:], atol=1e-6)
    assert np.all(out[:, :, -1] == 0)
    down = warp_bilinear(tf.constant(x), -tf.ones((28, 28)), tf.zeros((28, 28))).numpy()
    np.testing.assert_allclose(down[:, 1:], x[:, :-1], atol=1e-6)
    assert np.all(down[:, 0] == 0)


def test_warp_by_half_a_pixel_averages_neighbours():
    x = _images()
    out = warp_bilinear(tf.constant(x), tf.fill((28, 28), 0.5), tf.zeros((28, 28))).numpy()
    np.testing.assert_allclose(out[:, :-1], (x[:, :-1] + x[:, 1:]) / 2, atol=1e-6)


def test_elastic_field_has_the_set_size_and_is_smooth():
    field = elastic_field(tf.random.Generator.from_seed(1), 500, 28, 6, 0.8).numpy()
    assert field.shape == (2, 500, 28, 28)
    spread = field.std()
    # Bicubic interpolation between control points keeps the spread close to theirs...
    assert 0.5 * 0.8 < spread < 1.2 * 0.8
    # ...and neighbouring pixels move almost together: strokes bend, they do not break up.
    step = np.abs(np.diff(field, axis=-1)).mean()
    assert step < 0.25 * spread
    assert abs(field.mean()) < 0.05


def test_augmenter_with_everything_off_returns_the_batch_unchanged():
    x = _images()[..., None]
    out, labels = augmenter(_settings())(tf.constant(x), tf.constant([1, 2, 3]))
    np.testing.assert_allclose(out.numpy(), x, atol=1e-6)
    assert labels.numpy().tolist() == [1, 2, 3]


def test_elastic_distortion_moves_ink_without_losing_much_of_it_and_repeats_with_the_seed():
    digit = np.zeros((8, 28, 28, 1), np.float32)
    digit[:, 6:22, 12:16] = 1.0  # a thick vertical stroke, like a 1
    settings = _settings(elastic_displacement=0.8)
    first = augmenter(settings)(tf.constant(digit), None)[0].numpy()
    again = augmenter(settings)(tf.constant(digit), None)[0].numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, digit)
    assert not np.allclose(first[0], first[1])  # each image gets its own distortion
    ink = first.sum(axis=(1, 2, 3)) / digit.sum(axis=(1, 2, 3))
    assert np.all((ink > 0.7) & (ink < 1.4))  # strokes stretch and shrink locally, none vanish


def _centre_and_extent(images):
    mass = images.sum(axis=(1, 2))
    rows = np.arange(28)[None, :, None]
    cols = np.arange(28)[None, None, :]
    centre = np.stack([(images * rows).sum(axis=(1, 2)) / mass, (images * cols).sum(axis=(1, 2)) / mass], axis=1)
    inked = images > 0.5
    height = inked.any(axis=2).sum(axis=1)
    width = inked.any(axis=1).sum(axis=1)
    return centre, height, width


def test_shift_and_zoom_stay_within_their_bounds():
    square = np.zeros((64, 28, 28, 1), np.float32)
    square[:, 9:19, 9:19] = 1.0  # 10x10, centred at (13.5, 13.5)
    shifted = augmenter(_settings(shift=0.1))(tf.constant(square), None)[0]
    centre, height, width = _centre_and_extent(shifted.numpy()[..., 0])
    offset = np.abs(centre - 13.5)
    assert offset.max() <= 2.8 + 0.01 and offset.max() > 1.0  # up to 0.1 x 28 px, and it does move
    assert np.all(height == 10) and np.all(width == 10)  # shifting alone keeps the size
    zoomed = augmenter(_settings(zoom=0.2))(tf.constant(square), None)[0]
    centre, height, width = _centre_and_extent(zoomed.numpy()[..., 0])
    assert np.abs(centre - 13.5).max() < 0.01  # scaling about the centre
    assert height.min() >= 8 and height.max() <= 12 and width.min() >= 8 and width.max() <= 12
    assert len(set(zip(height, width))) > 3  # height and width vary, and not together
