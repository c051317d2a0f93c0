"""LeCun's activation as a registered, serializable Keras activation.

Registered under "digitstudy>lecun": importing this module is enough for
keras.models.load_model to rebuild a model that uses it, from .keras or .h5.
"""

from __future__ import annotations

import keras

from .activations import LECUN_SCALE, LECUN_SLOPE, LECUN_TWIST, NAMES


@keras.saving.register_keras_serializable(package="digitstudy", name="lecun")
def lecun(x):
    return LECUN_SCALE * keras.ops.tanh(LECUN_SLOPE * x) + LECUN_TWIST * x


def keras_activation(name: str):
    """What to pass to keras.layers.Dense(activation=...) for a config name."""
    if name not in NAMES:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(NAMES)}")
    return lecun if name == "lecun" else name
