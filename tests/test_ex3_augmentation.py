"""Training-time augmentation (NumPy, backend-neutral): the bilinear warp, the elastic field, the
whole batch function, and the training batches built from it."""

import numpy as np
from digitstudy.ex3.augmentation import augment, change_strokes, elastic_field, warp_bilinear
from digitstudy.ex3.recogniser import RecogniserSettings
from digitstudy.settings import schema_defaults

NO_AUGMENTATION = dict(
    rotation_degrees=0, zoom=0, shear=0, shift=0, stroke_change_probability=0, elastic_displacement=0
)


def _settings(**changes):
    return RecogniserSettings.from_config({**schema_defaults("ex3"), **NO_AUGMENTATION, **changes})


def _images(count=3, seed=0):
    return np.random.default_rng(seed).random((count, 28, 28)).astype(np.float32)


def test_warp_without_displacement_is_the_identity():
    x = _images()
    zero = np.zeros((28, 28), np.float32)
    np.testing.assert_allclose(warp_bilinear(x, zero, zero), x, atol=1e-6)


def test_warp_by_whole_pixels_shifts_and_fills_with_background():
    x = _images()
    # Sampling one column to the right moves the content one column left; the last column is
    # outside the image and reads as background.
    out = warp_bilinear(x, np.zeros((28, 28)), np.ones((28, 28)))
    np.testing.assert_allclose(out[:, :, :-1], x[:, :, 1:], atol=1e-6)
    assert np.all(out[:, :, -1] == 0)
    down = warp_bilinear(x, -np.ones((28, 28)), np.zeros((28, 28)))
    np.testing.assert_allclose(down[:, 1:], x[:, :-1], atol=1e-6)
    assert np.all(down[:, 0] == 0)


def test_warp_of_a_large_batch_never_reads_a_neighbouring_image():
    # More images than one remap call takes, each moved by its own displacement: a row or
    # column read from outside an image is background, never the next image's edge.
    x = _images(count=1100) + 0.5
    shift = np.where(np.arange(1100) % 2 == 0, -1.0, 1.0)[:, None, None] * np.ones((1, 28, 28))
    out = warp_bilinear(x, shift, shift)
    even, odd = out[0::2], out[1::2]
    np.testing.assert_allclose(even[:, 1:, 1:], x[0::2, :-1, :-1], atol=1e-6)
    np.testing.assert_allclose(odd[:, :-1, :-1], x[1::2, 1:, 1:], atol=1e-6)
    assert np.all(even[:, 0] == 0) and np.all(even[:, :, 0] == 0)
    assert np.all(odd[:, -1] == 0) and np.all(odd[:, :, -1] == 0)


def test_warp_by_half_a_pixel_averages_neighbours():
    x = _images()
    out = warp_bilinear(x, np.full((28, 28), 0.5), np.zeros((28, 28)))
    np.testing.assert_allclose(out[:, :-1], (x[:, :-1] + x[:, 1:]) / 2, atol=1e-6)


def test_elastic_field_has_the_set_size_and_is_smooth():
    field = elastic_field(np.random.default_rng(1), 500, 28, 6, 0.8)
    assert field.shape == (2, 500, 28, 28)
    spread = field.std()
    # Bicubic interpolation between control points keeps the spread close to theirs...
    assert 0.5 * 0.8 < spread < 1.2 * 0.8
    # ...and neighbouring pixels move almost together: strokes bend, they do not break up.
    step = np.abs(np.diff(field, axis=-1)).mean()
    assert step < 0.25 * spread
    assert abs(field.mean()) < 0.05


def test_augment_with_everything_off_returns_the_batch_unchanged():
    x = _images()
    np.testing.assert_allclose(augment(x, np.random.default_rng(0), _settings()), x, atol=1e-6)
    as_uint8 = np.rint(x * 255).astype(np.uint8)
    np.testing.assert_allclose(augment(as_uint8, np.random.default_rng(0), _settings()), as_uint8 / 255, atol=1e-6)


def test_elastic_distortion_moves_ink_without_losing_much_of_it_and_repeats_with_the_seed():
    digit = np.zeros((8, 28, 28), np.float32)
    digit[:, 6:22, 12:16] = 1.0  # a thick vertical stroke, like a 1
    settings = _settings(elastic_displacement=0.8)
    first = augment(digit, np.random.default_rng(3), settings)
    again = augment(digit, np.random.default_rng(3), settings)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, digit)
    assert not np.allclose(first[0], first[1])  # each image gets its own distortion
    ink = first.sum(axis=(1, 2)) / digit.sum(axis=(1, 2))
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
    square = np.zeros((64, 28, 28), np.float32)
    square[:, 9:19, 9:19] = 1.0  # 10x10, centred at (13.5, 13.5)
    shifted = augment(square, np.random.default_rng(0), _settings(shift=0.1))
    centre, height, width = _centre_and_extent(shifted)
    offset = np.abs(centre - 13.5)
    assert offset.max() <= 2.8 + 0.01 and offset.max() > 1.0  # up to 0.1 x 28 px, and it does move
    assert np.all(height == 10) and np.all(width == 10)  # shifting alone keeps the size
    zoomed = augment(square, np.random.default_rng(0), _settings(zoom=0.2))
    centre, height, width = _centre_and_extent(zoomed)
    assert np.abs(centre - 13.5).max() < 0.01  # scaling about the centre
    assert height.min() >= 8 and height.max() <= 12 and width.min() >= 8 and width.max() <= 12
    assert len(set(zip(height, width))) > 3  # height and width vary, and not together


def test_stroke_change_thickens_some_thins_some_and_leaves_the_rest():
    stroke = np.zeros((400, 28, 28), np.float32)
    stroke[:, 6:22, 12:16] = 1.0
    out = change_strokes(stroke, np.random.default_rng(0), 0.5)
    ink = out.sum(axis=(1, 2)) / stroke[0].sum()
    thicker, thinner, same = (ink > 1.05).mean(), (ink < 0.95).mean(), np.isclose(ink, 1).mean()
    assert 0.18 < thicker < 0.32 and 0.18 < thinner < 0.32 and 0.4 < same < 0.6
    assert np.array_equal(change_strokes(stroke, np.random.default_rng(0), 0.0), stroke)


def test_training_epochs_repeat_for_a_seed_differ_by_epoch_and_ask_uniform_for_non_digits():
    from digitstudy.ex3.recogniser import training_epoch

    rng = np.random.default_rng(0)
    images = (rng.random((300, 28, 28)) * 255).astype(np.uint8)
    variants = 255 - images
    labels = np.r_[np.arange(290) % 10, np.full(10, -1)]
    settings = _settings(batch_size=64, format_probability=0.5, shift=0.1)
    x, y = training_epoch(images, variants, labels, settings, seed=4, epoch=0)
    assert x.shape == (300, 28, 28, 1) and x.dtype == np.float32 and y.shape == (300, 10)
    again_x, again_y = training_epoch(images, variants, labels, settings, seed=4, epoch=0)
    np.testing.assert_array_equal(x, again_x)
    np.testing.assert_array_equal(y, again_y)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    assert np.isclose(y, 0.1).all(axis=1).sum() == 10  # the ten non-digits, equal probabilities
    assert (y.max(axis=1) == 1).sum() == 290
    assert 0 <= x.min() and x.max() <= 1
    next_x, _ = training_epoch(images, variants, labels, settings, seed=4, epoch=1)
    assert not np.array_equal(next_x, x)  # a new order and new draws each epoch
    other_seed, _ = training_epoch(images, variants, labels, settings, seed=5, epoch=0)
    assert not np.array_equal(other_seed, x)


def test_training_epoch_batches_depend_only_on_seed_epoch_and_index():
    from digitstudy.ex3.recogniser import training_epoch

    rng = np.random.default_rng(1)
    images = (rng.random((200, 28, 28)) * 255).astype(np.uint8)
    labels = np.arange(200) % 10
    settings = _settings(batch_size=64, format_probability=0.0)
    x, _ = training_epoch(images, images, labels, settings, seed=2, epoch=3)
    # Another copy of the data with the last image changed: only the batch holding it changes.
    changed = images.copy()
    changed[199] = 255 - changed[199]
    y, _ = training_epoch(changed, changed, labels, settings, seed=2, epoch=3)
    position = int(np.flatnonzero(np.random.default_rng([2, 3]).permutation(200) == 199)[0])
    differs = [not np.array_equal(x[i : i + 64], y[i : i + 64]) for i in range(0, 200, 64)]
    assert differs == [batch == position // 64 for batch in range(4)]
