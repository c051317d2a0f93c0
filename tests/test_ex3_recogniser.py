"""The recogniser: architecture, training with repeated sets, and averaging several networks."""

import keras
import numpy as np
import pandas as pd
import pytest

from digitstudy.data.arrays import Split
from digitstudy.data.splits import random_split
from digitstudy.ex3.recogniser import RecogniserSettings, average_of, build_recogniser, train_recogniser
from digitstudy.ex3.safe_load import SizeLimits, check, load_untrusted
from digitstudy.settings import schema_defaults


def test_single_network_shape_and_size():
    model = build_recogniser()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert model.count_params() == 242_730


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_average_of_members_saves_loads_safely_and_averages(tmp_path, suffix):
    keras.utils.set_random_seed(0)
    members = [build_recogniser() for _ in range(2)]
    for index, member in enumerate(members):
        member.name = f"member_{index + 1}"
    model = average_of(members)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    expected = (members[0].predict(x, verbose=0) + members[1].predict(x, verbose=0)) / 2
    path = tmp_path / f"ensemble{suffix}"
    model.save(path)
    assert check(path, SizeLimits(64, 4, 256)) in ("h5", "keras")  # the grader accepts it
    loaded = load_untrusted(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert model.count_params() == 2 * 242_730


def test_average_of_one_network_is_that_network():
    model = build_recogniser()
    assert average_of([model]) is model


def test_training_counts_copies_after_the_validation_split_and_trains_every_member():
    rng = np.random.default_rng(0)
    images = (rng.random((60, 28, 28)) * 255).astype(np.uint8)
    train = Split(images, np.arange(60) % 10)
    copies = np.where(np.arange(60) < 20, 3, 1)
    settings = RecogniserSettings.from_config(
        {
            **schema_defaults("ex3"),
            "epochs": 1,
            "batch_size": 16,
            "validation_size": 10,
            "ensemble_size": 2,
            "non_digit_photos": 12,
            "calibration_non_digit_photos": 12,
        }
    )
    result = train_recogniser(train, settings, copies)
    assert result.validation_images == 10
    kept, _ = random_split(60, 10, settings.seed)
    assert result.train_images == sum(int(copies[i]) for i in kept)
    assert result.history.member.tolist() == [1, 2]
    assert result.model.output_shape == (None, 10)


def test_calibration_photos_alternate_single_and_combined_conditions_and_keep_their_labels():
    from pathlib import Path

    from digitstudy.ex3.calibration import calibration_photos

    with np.load(Path(__file__).parent.parent / ".test/data/mnist_test_200.npz") as data:
        split = Split(data["x_test"][:12], data["y_test"][:12])
    photos = calibration_photos(split, 12, seed=0)
    assert photos.images.dtype == np.uint8 and photos.images.shape[1:] == (28, 28)
    assert 10 <= len(photos.labels) <= 12  # a digit the preprocessing cannot find is left out
    np.testing.assert_array_equal(calibration_photos(split, 12, seed=0).images, photos.images)
    assert set(photos.labels.tolist()) <= set(split.labels.tolist())
    assert len(calibration_photos(split, 4, seed=0).labels) <= 4


def test_non_digit_photos_are_what_the_preprocessing_still_finds_on_photos_without_a_digit():
    from digitstudy.ex3.calibration import non_digit_photos

    photos = non_digit_photos(48, seed=0)  # four of each kind
    assert photos.dtype == np.uint8 and photos.shape[1:] == (28, 28)
    assert 0 < len(photos) <= 4  # most are found empty (stains and edges too); grainy paper at times is not
    assert (photos.reshape(len(photos), -1).max(axis=1) > 0).all()
    np.testing.assert_array_equal(non_digit_photos(48, seed=0), photos)
    other = non_digit_photos(48, seed=1)
    assert len(other) != len(photos) or not np.array_equal(other, photos)
    assert non_digit_photos(0, seed=0).shape == (0, 28, 28)


def test_training_non_digits_are_photos_repeated_a_few_times_and_drawn_clutter():
    from digitstudy.ex3.calibration import non_digit_photos
    from digitstudy.ex3.formats import non_digits
    from digitstudy.ex3.recogniser import PHOTO_REPEATS, training_non_digits

    section = {**schema_defaults("ex3"), "non_digit_photos": 48}
    settings = RecogniserSettings.from_config(section)
    photos = non_digit_photos(48, settings.seed)
    shown = min(20, PHOTO_REPEATS * len(photos))  # up to half, each photo at most PHOTO_REPEATS times
    assert 0 < shown < 20
    images = training_non_digits(41, settings)
    assert images.shape == (41, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[:shown], np.resize(photos, (shown, 28, 28)))
    np.testing.assert_array_equal(images[shown:], non_digits(41 - shown, settings.seed))
    without = training_non_digits(41, RecogniserSettings.from_config({**section, "non_digit_photos": 0}))
    np.testing.assert_array_equal(without, non_digits(41, settings.seed))


def test_networks_trained_side_by_side_equal_those_trained_one_after_the_other():
    rng = np.random.default_rng(1)
    train = Split((rng.random((80, 28, 28)) * 255).astype(np.uint8), np.arange(80) % 10)
    settings = RecogniserSettings.from_config(
        {
            **schema_defaults("ex3"),
            "epochs": 2,
            "batch_size": 16,
            "validation_size": 10,
            "ensemble_size": 2,
            "non_digit_photos": 0,
            "calibration_photos": 10,
            "calibration_non_digits": 20,
            "calibration_non_digit_photos": 0,
        }
    )
    apart = train_recogniser(train, settings, side_by_side=1)
    together = train_recogniser(train, settings, side_by_side=2)
    for mine, theirs in zip(apart.model.get_weights(), together.model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    pd.testing.assert_frame_equal(apart.history, together.history)
    assert together.history.member.tolist() == [1, 1, 2, 2]


def test_train_subset_is_not_applied_again_to_the_assembled_set():
    """ex3.train_subset keeps the first images of each set when the data is assembled; the
    trainer then uses every image it is given."""
    rng = np.random.default_rng(0)
    train = Split((rng.random((60, 28, 28)) * 255).astype(np.uint8), np.arange(60) % 10)
    section = {
        **schema_defaults("ex3"),
        "epochs": 1,
        "batch_size": 32,
        "validation_size": 10,
        "ensemble_size": 1,
        "train_subset": 30,
        "non_digit_photos": 12,
        "calibration_non_digit_photos": 12,
    }
    result = train_recogniser(train, RecogniserSettings.from_config(section))
    assert result.train_images + result.validation_images == 60


def test_input_blur_is_a_frozen_gaussian_that_keeps_the_ink_and_loads_safely(tmp_path):
    from digitstudy.ex3.recogniser import with_input_blur

    offsets = np.arange(5) - 2.0  # the 5x5 Gaussian of sigma 0.5, normalised to keep the ink
    kernel = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * 0.5**2))
    kernel /= kernel.sum()
    keras.utils.set_random_seed(0)
    network = build_recogniser()
    assert with_input_blur(network, 0.0) is network
    model = with_input_blur(network, 0.5)
    assert model.count_params() == 242_730 + 25
    dot = np.zeros((1, 28, 28, 1), np.float32)
    dot[0, 14, 14] = 1.0
    blurred = model.get_layer("input_blur")(dot).numpy()[0, ..., 0]
    np.testing.assert_allclose(blurred[12:17, 12:17], kernel, atol=1e-6)
    x = np.random.default_rng(1).random((3, 28, 28, 1)).astype(np.float32)
    for suffix in (".h5", ".keras"):
        path = tmp_path / f"blurred{suffix}"
        model.save(path)
        assert check(path, SizeLimits(64, 4, 256)) in ("h5", "keras")
        np.testing.assert_allclose(
            load_untrusted(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
        )


def test_input_blur_is_chosen_by_validation_loss():
    from digitstudy.ex3.recogniser import choose_input_blur

    # A stand-in model that is right exactly when its input is soft: it scores label 1 by how
    # much the centre pixel has spread to its neighbour.
    digit = keras.Input((28, 28, 1))
    spread = keras.layers.Cropping2D(((14, 13), (15, 12)))(digit)  # pixel (14, 15)
    logits = keras.layers.Dense(10, kernel_initializer="zeros", bias_initializer="zeros")(
        keras.layers.Flatten()(spread)
    )
    model = keras.Model(digit, keras.layers.Softmax()(logits))
    dense = model.layers[-2]
    weights = np.zeros((1, 10), np.float32)
    weights[0, 1] = 20.0
    dense.set_weights([weights, np.zeros(10, np.float32)])
    images = np.zeros((4, 28, 28), np.uint8)
    images[:, 14, 14] = 255
    labels = np.ones(4, np.int64)
    sigma, losses = choose_input_blur(model, images, labels, (0, 0.5, 1.0))
    assert sorted(losses) == [0.0, 0.5, 1.0]
    assert losses[0.0] > losses[0.5] > losses[1.0] and sigma == 1.0
    sigma, losses = choose_input_blur(model, images, np.zeros(4, np.int64), (0, 0.5, 1.0))
    assert sigma == 0.0  # for label 0 the sharp input is best


def test_unsure_threshold_keeps_the_confident_answers_accurate_and_flags_every_non_digit():
    from digitstudy.ex3.recogniser import choose_unsure_threshold

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    confidence = np.where(np.arange(1000) < 100, rng.uniform(0.3, 0.7, 1000), rng.uniform(0.9, 1.0, 1000))
    predicted = np.where(np.arange(1000) < 100, (labels + 1) % 10, labels)  # the 100 unsure ones are wrong
    probs = np.full((1000, 10), 0.0)
    probs[np.arange(1000), predicted] = confidence
    chosen = choose_unsure_threshold(probs, labels)
    # The answers kept are at least 99.8% right: at most one of the 100 mistakes stays unflagged.
    kept = confidence >= chosen["below"]
    assert (predicted == labels)[kept].mean() >= 0.998 and 0.6 < chosen["below"] < 0.9
    assert chosen["calibration_mistakes"] == 100 and chosen["mistakes_flagged"] >= 0.99
    assert chosen["correct_flagged"] == 0.0
    assert choose_unsure_threshold(probs[100:], labels[100:])["below"] == 0.0  # no mistakes: nothing flagged
    # Non-digits (label -1) more confident than that raise the threshold above 99% of them.
    clutter = np.zeros((200, 10))
    clutter[:, 3] = np.linspace(0.5, 0.95, 200)
    clutter[-1, 3] = 0.999  # one stray look-alike does not set it
    raised = choose_unsure_threshold(np.vstack([probs, clutter]), np.r_[labels, np.full(200, -1)])
    assert 0.94 < raised["below"] < 0.95 and raised["by_non_digits"] == raised["below"]
    assert raised["non_digits_flagged"] == pytest.approx(0.99)
    # A looser target lets some mistakes through: the threshold falls.
    assert choose_unsure_threshold(probs, labels, target_accuracy=0.95)["below"] < chosen["below"]
    # A share to flag at least: the least confident 20% of the digits (the 100 mistakes and 100
    # of the confident answers, whose confidence runs from 0.9 to 1).
    shared = choose_unsure_threshold(probs, labels, flagged_share=0.2)
    assert shared["by_share"] == shared["below"] and 0.905 < shared["below"] < 0.915
    assert (confidence < shared["below"]).mean() == pytest.approx(0.2, abs=0.002)
    assert choose_unsure_threshold(probs, labels, flagged_share=0.05)["below"] == chosen["below"]  # already flagged


def test_web_model_exports_the_recogniser_and_refuses_what_the_page_cannot_run():
    from digitstudy.ex3.recogniser import average_of, with_input_blur
    from digitstudy.ex3.web_model import Unsupported, export

    keras.utils.set_random_seed(0)
    members = [build_recogniser(), build_recogniser()]
    for index, member in enumerate(members, start=1):
        member.name = f"member_{index}"
    model = with_input_blur(average_of(members), 0.5)
    exported = export(model)["model"]
    assert exported["op"] == "graph" and exported["body"]["layer"]["op"] == "graph"  # blur, then the mean
    assert exported["body"]["input"]["layer"]["op"] == "depthwise"
    assert exported["body"]["layer"]["body"]["op"] == "average"
    odd = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.LayerNormalization(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(Unsupported, match="LayerNormalization"):
        export(odd)
