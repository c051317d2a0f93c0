"""Hidden-layer activation functions by config name, each with its analytic derivative.

The derivative bounds explain gradient flow: backpropagation multiplies one f'(z) per layer,
so sigmoid (f' <= 1/4) shrinks gradients geometrically with depth while ReLU (f' in {0, 1})
does not.
"""

from __future__ import annotations

import numpy as np

# Names accepted in config (ex1.activations); Keras knows these names itself.
KERAS_NAMES = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


FUNCTIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
}

DERIVATIVES = {
    "relu": lambda x: (np.asarray(x) > 0).astype(float),
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "sigmoid": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
}


def keras_activation(name: str):
    if name not in KERAS_NAMES:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(KERAS_NAMES)}")
    return KERAS_NAMES[name]
