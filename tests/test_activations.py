"""Activation functions: analytic derivatives, their ranges, and LeCun as a Keras activation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from digitstudy.ex1 import activations as A
from digitstudy.ex1.keras_activations import keras_activation


@pytest.mark.parametrize("name", A.NAMES)
def test_derivative_matches_automatic_differentiation(name):
    x = tf.constant(np.concatenate([np.linspace(-8, 8, 401), [-1e-3, 1e-3]]), dtype=tf.float64)
    keras_fn = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid}.get(name)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = keras_fn(x) if keras_fn else keras_activation(name)(x)
    autodiff = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(A.DERIVATIVES[name](x.numpy()), autodiff, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(A.FUNCTIONS[name](x.numpy()), y.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", A.NAMES)
def test_numerical_range_agrees_with_analytic(name):
    low, high, _, high_attained, _ = A.DERIVATIVE_RANGES[name]
    numeric_low, numeric_high = A.numerical_derivative_range(name)
    assert numeric_low >= low - 1e-12 and numeric_low == pytest.approx(low, abs=1e-6)
    assert numeric_high <= high + 1e-12 and numeric_high == pytest.approx(high, rel=1e-9)


def test_lecun_derivative_at_zero():
    assert A.lecun_derivative(0.0) == pytest.approx(1.7159 * 2 / 3 + 0.01)
    assert A.DERIVATIVE_RANGES["lecun"][1] == pytest.approx(1.1539, abs=5e-5)


def test_relu_derivative_takes_only_zero_and_one():
    values = A.DERIVATIVES["relu"](np.linspace(-5, 5, 1001))
    assert set(np.unique(values)) == {0.0, 1.0}


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="swish"):
        keras_activation("swish")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_lecun_model_round_trip_gives_identical_predictions(tmp_path, suffix):
    from digitstudy.ex1.mlp import build_mlp

    keras.utils.set_random_seed(0)
    model = build_mlp(3, "lecun")
    x = np.random.default_rng(0).uniform(0, 1, (16, 784)).astype(np.float32)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
