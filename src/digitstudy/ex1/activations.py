"""Hidden-layer activations by name, and the range of a derivative measured on a grid.

Nothing here imports Keras: the workflow checks its configuration against ACTIVATIONS before any
job imports it. The Keras side (LeCun's activation registered for saving, f and f' by automatic
differentiation) is keras_activations.py.

Backpropagation multiplies one f'(z) per layer, so the range of f' tells whether an activation
can only shrink the error signal (max f' < 1) or can amplify it (f' > 1 somewhere). LeCun's
activation (Efficient BackProp, LeCun et al. 1998, sections 4.4-4.5) is 1.7159 tanh(2x/3) + 0.01x:
f(+-1) ~ +-1, and the small linear "twisting term" keeps f' >= 0.01 so that saturated units still
pass gradient.
"""

from __future__ import annotations

import numpy as np

LECUN_SCALE = 1.7159
LECUN_SLOPE = 2.0 / 3.0
LECUN_TWIST = 0.01

# Keras 3's built-in elementwise activations, each usable by name with its defaults, and LeCun's.
# Commonest first: the place in this tuple gives an activation its colour in the figures.
ACTIVATIONS = (
    "relu",
    "tanh",
    "sigmoid",
    "lecun",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "softplus",
    "softsign",
    "leaky_relu",
    "relu6",
    "celu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "linear",
    "exponential",
    "log_sigmoid",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "tanh_shrink",
    "hard_shrink",
    "soft_shrink",
)

# keras.activations' other functions, and why they cannot be a hidden layer's activation by name
# here: a unit's output would depend on the other units, the layer's shape would change, or there
# is no default to call it with.
LEFT_OUT = {
    "softmax": "normalises across the units of a layer",
    "log_softmax": "normalises across the units of a layer",
    "sparsemax": "projects the units of a layer onto the probability simplex",
    "glu": "gates one half of the units with the other, halving the layer",
    "threshold": "has no default threshold or replacement value",
}

# f' is measured on [-50, 50] in 2,000,001 points: steps of 5e-5, and x = 0 among them, so that
# the value automatic differentiation gives at relu's kink is sampled.
GRID = (-50.0, 50.0, 2_000_001)

# At most this many distinct values of f' on the grid: the range is written as a set ({0, 1}).
FEW_VALUES = 4

# float32 resolution: a value within this many float32 epsilons (times max(1, |bound|)) of a
# bound counts as reaching it.
EPSILONS = 8


def check_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}")
    return name


def grid(low: float = GRID[0], high: float = GRID[1], points: int = GRID[2]) -> np.ndarray:
    return np.linspace(low, high, points)


def grid_text(low: float = GRID[0], high: float = GRID[1], points: int = GRID[2]) -> str:
    return f"[{low:g}, {high:g}], {points:,} points"


def number(value: float) -> str:
    """4 significant digits; -0 is written 0."""
    return f"{float(value) + 0.0:.4g}"


def describe_range(x: np.ndarray, derivative: np.ndarray) -> dict:
    """min and max of f' sampled at x (ascending); where each is reached; whether it is attained, or
    only approached at an edge of the grid; and the range as text: '{0, 1}' for a few distinct
    values, else an interval, open at a bound only approached ('(0, 1]' for tanh)."""
    low, high = float(derivative.min()), float(derivative.max())
    x_low, low_attained = _reached(x, derivative, low)
    x_high, high_attained = _reached(x, derivative, high)
    distinct = np.unique(derivative)
    if len(distinct) <= FEW_VALUES:
        text = "{" + ", ".join(number(v) for v in distinct) + "}"
    else:
        text = f"{'[' if low_attained else '('}{number(low)}, {number(high)}{']' if high_attained else ')'}"
    return {
        "range": text,
        "min": low,
        "x_at_min": x_low,
        "min_attained": low_attained,
        "max": high,
        "x_at_max": x_high,
        "max_attained": high_attained,
    }


def _reached(x: np.ndarray, derivative: np.ndarray, bound: float) -> tuple[float, bool]:
    """Where f' reaches `bound`, and whether it attains it there.

    float32 rounds an asymptote to an exact constant (tanh' is 0 for |x| > 9), so a stretch at an
    edge of the grid where f' sits at the bound is an approach if f' arrives there in rounding-sized
    steps, and attained if its last step onto it is larger, at a kink (relu' and elu' are 1 from
    x = 0 on). A bound reached at the edge point alone is approached: f' is still moving there
    (exp' at x = 50)."""
    tol = EPSILONS * np.finfo(np.float32).eps * max(1.0, abs(bound))
    gap = np.abs(derivative - bound)
    approached = np.zeros(len(gap), bool)
    for order in (slice(None), slice(None, None, -1)):  # inwards from the left edge, then from the right
        inward, flags = gap[order], approached[order]
        # The stretch ends where f' is 4 tol away; an approach gets there by steps far below 4 tol.
        away = np.flatnonzero(inward > 4 * tol)
        if inward[0] <= tol and len(away) and (away[0] == 1 or inward[away[0]] <= 8 * tol):
            flags[: away[0]] = True
    attained = (gap <= tol) & ~approached
    if not attained.any():
        return float(x[0] if gap[0] <= gap[-1] else x[-1]), False
    if attained[0] != attained[-1]:  # a stretch from one edge: where it ends inwards (x = 0 for relu's min)
        inner = np.flatnonzero(~attained)
        return float(x[inner[0] - 1] if attained[0] else x[inner[-1] + 1]), True
    # Elsewhere: the middle one of the points where f' equals the bound (x = 0 for tanh's max).
    exact = np.flatnonzero(attained & (gap == 0))
    return float(x[exact[len(exact) // 2]] if len(exact) else x[np.flatnonzero(attained)[0]]), True
