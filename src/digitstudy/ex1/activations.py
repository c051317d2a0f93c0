"""Hidden-layer activation functions by config name, each with its analytic derivative.

The derivative bounds explain gradient flow: backpropagation multiplies one f'(z) per layer,
so sigmoid (f' <= 1/4) shrinks gradients geometrically with depth while ReLU (f' in {0, 1})
does not. LeCun's activation (Efficient BackProp, LeCun et al. 1998, sections 4.4-4.5) is
1.7159 tanh(2x/3) + 0.01x: f(+-1) ~ +-1, and the small linear "twisting term" keeps f' >= 0.01
so that saturated units still pass gradient.
"""

from __future__ import annotations

import numpy as np

LECUN_SCALE = 1.7159
LECUN_SLOPE = 2.0 / 3.0
LECUN_TWIST = 0.01

NAMES = ("relu", "tanh", "sigmoid", "lecun")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lecun(x):
    return LECUN_SCALE * np.tanh(LECUN_SLOPE * x) + LECUN_TWIST * x


# Derivatives are written as 1/cosh^2 and sigma(x) sigma(-x) rather than 1 - tanh^2 and
# sigma (1 - sigma): the same functions, without the cancellation that rounds them to exactly 0
# for |x| > ~19, so the numerical ranges below show the open lower bounds as they are.
def _sech2(x):
    with np.errstate(over="ignore"):
        return 1.0 / np.cosh(x) ** 2


def lecun_derivative(x):
    return LECUN_SCALE * LECUN_SLOPE * _sech2(LECUN_SLOPE * np.asarray(x, float)) + LECUN_TWIST


FUNCTIONS = {"relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh, "sigmoid": _sigmoid, "lecun": lecun}

DERIVATIVES = {
    # relu'(0) is taken as 0, as TensorFlow does.
    "relu": lambda x: (np.asarray(x) > 0).astype(float),
    "tanh": lambda x: _sech2(np.asarray(x, float)),
    "sigmoid": lambda x: _sigmoid(x) * _sigmoid(-np.asarray(x, float)),
    "lecun": lecun_derivative,
}

# Analytic range of f' over the reals: (low, high, low attained?, high attained?, text).
DERIVATIVE_RANGES = {
    "relu": (0.0, 1.0, True, True, "{0, 1}"),
    "tanh": (0.0, 1.0, False, True, "(0, 1]"),
    "sigmoid": (0.0, 0.25, False, True, "(0, 1/4]"),
    "lecun": (LECUN_TWIST, LECUN_SCALE * LECUN_SLOPE + LECUN_TWIST, False, True, "(0.01, 1.1539]"),
}


def numerical_derivative_range(name: str) -> tuple[float, float]:
    """min and max of the analytic derivative on [-50, 50] in 2,000,001 points (x = 0 among them)."""
    values = DERIVATIVES[name](np.linspace(-50.0, 50.0, 2_000_001))
    return float(values.min()), float(values.max())
