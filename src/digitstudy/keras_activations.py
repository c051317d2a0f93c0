"""LeCun's activation as a registered, serializable Keras activation.

Registered under "digitstudy>lecun": importing this module is enough for
keras.models.load_model to rebuild a model that uses it, from .keras or .h5.
"""

from __future__ import annotations

import keras

from .activations import LECUN_SCALE, LECUN_SLOPE, LECUN_TWIST


@keras.saving.register_keras_serializable(package="digitstudy", name="lecun")
def lecun(x):
    return LECUN_SCALE * keras.ops.tanh(LECUN_SLOPE * x) + LECUN_TWIST * x
