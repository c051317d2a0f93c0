"""The recogniser: architecture, training with repeated sets, and averaging several networks."""

import numpy as np
import pytest

from digitstudy.data.arrays import Split
from digitstudy.data.splits import random_split
from digitstudy.ex3.recogniser import RecogniserSettings, average_of, build_recogniser, train_recogniser
from digitstudy.ex3.safe_load import find_code, load_untrusted, read_architecture

keras = pytest.importorskip("keras")


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
    assert find_code(read_architecture(path).config) == []  # the grader accepts it
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
    settings = RecogniserSettings(epochs=1, batch_size=16, validation_size=10, ensemble_size=2)
    result = train_recogniser(train, settings, copies)
    assert result.validation_images == 10
    kept, _ = random_split(60, 10, settings.seed)
    assert result.train_images == sum(int(copies[i]) for i in kept)
    assert result.history.member.tolist() == [1, 2]
    assert result.model.output_shape == (None, 10)
