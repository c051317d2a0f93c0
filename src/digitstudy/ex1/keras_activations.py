"""The activations as Keras applies them: LeCun's registered as a serializable Keras activation, and
f and f' of any allowed activation on the Keras backend in use.

LeCun's is registered under "digitstudy>lecun": importing this module is enough for
keras.models.load_model to rebuild a model that uses it, from .keras or .h5.

f' is the automatic derivative of the very function a Dense layer applies, in float32 as in
training. The activations are elementwise, so f'(x) is the gradient of sum(f(x)) with respect to x.
"""

from __future__ import annotations

import keras
import numpy as np

from .activations import GRID, LECUN_SCALE, LECUN_SLOPE, LECUN_TWIST, check_activation, describe_range, grid


@keras.saving.register_keras_serializable(package="digitstudy", name="lecun")
def lecun(x):
    return LECUN_SCALE * keras.ops.tanh(LECUN_SLOPE * x) + LECUN_TWIST * x


def keras_activation(name: str):
    """What to pass to keras.layers.Dense(activation=...) for a config name."""
    return lecun if check_activation(name) == "lecun" else name


def activation_function(name: str):
    """The callable a Dense layer applies for a config name."""
    return keras.activations.get(keras_activation(name))


def values(name: str, x) -> np.ndarray:
    """f(x) in float32."""
    tensor = keras.ops.convert_to_tensor(np.asarray(x, np.float32))
    return keras.ops.convert_to_numpy(activation_function(name)(tensor))


def derivative(name: str, x) -> np.ndarray:
    """f'(x) in float32, by the backend's automatic differentiation (as gradients.py)."""
    f = activation_function(name)
    x = keras.ops.convert_to_tensor(np.asarray(x, np.float32))
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(f(x))
        gradient = tape.gradient(total, x)
    elif backend == "jax":
        import jax

        gradient = jax.grad(lambda v: keras.ops.sum(f(v)))(x)
    elif backend == "torch":
        import torch

        x.requires_grad_(True)
        (gradient,) = torch.autograd.grad(keras.ops.sum(f(x)), x)
    else:
        raise ValueError(f"no automatic differentiation for the Keras backend {backend!r}")
    return keras.ops.convert_to_numpy(gradient)


def curves(name: str, x) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x), for figures.activation_functions."""
    return values(name, x), derivative(name, x)


def derivative_range(name: str, low: float = GRID[0], high: float = GRID[1], points: int = GRID[2]) -> dict:
    """describe_range of f' on the grid: min, max, where, attained or approached, and as text."""
    x = grid(low, high, points)
    return describe_range(x, derivative(name, x))
