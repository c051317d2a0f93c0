"""Confidence you can use: temperature scaling (Guo et al., 2017) fitted on held-out images that
look like what users send (validation digits of every training set, the same digits photographed
by the simulator, and non-digit clutter). The temperature is folded into each network's last
Dense layer, so the saved model's probabilities are the calibrated ones and it keeps its layers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from ..data.arrays import Split

PHOTO_SIZE = 240  # the calibration photos' largest size


def calibration_photos(split: Split, count: int, seed: int) -> Split:
    """The first `count` digits of `split` as simulated phone photos, read back through the
    preprocessing (photos in which no digit is found are left out): every other one under one
    condition of the benchmark's (cycled, at its strengths), the rest under several conditions
    at once (photo_simulator.draw_combined), as real photos are."""
    from .photo_benchmark import CONDITIONS
    from .photo_simulator import draw_combined, render
    from .preprocess import decode_gray, preprocess_gray

    rng = np.random.default_rng([seed, 7])
    images, labels = [], []
    for index in range(min(count, len(split.labels))):
        if index % 2:
            photo = draw_combined(rng)[0]
        else:
            condition = CONDITIONS[(index // 2) % len(CONDITIONS)]
            photo = replace(condition.photo, **{key: v[(index // 2) % len(v)] for key, v in condition.vary.items()})
        photo = replace(photo, size=min(photo.size, PHOTO_SIZE))
        result = preprocess_gray(decode_gray(render(split.images[index], photo, rng)))
        if result.image is not None:
            images.append(result.image)
            labels.append(split.labels[index])
    return Split(np.stack(images) if images else np.zeros((0, 28, 28), np.uint8), np.asarray(labels, np.int64))


def non_digit_photos(count: int, seed: int) -> np.ndarray:
    """What the preprocessing makes of `count` simulated photos without a digit (the kinds of
    photo_simulator.NON_DIGITS in turn, each drawn at random strengths): the 28x28 inputs of those
    in which it still finds something - a stain's ring, a smudge, the sheet's edge. On a random
    stream of their own, apart from the photo benchmark's."""
    from .photo_simulator import NON_DIGITS, draw_non_digit, render
    from .preprocess import decode_gray, preprocess_gray

    kinds = list(NON_DIGITS)
    rng = np.random.default_rng([seed, 11])
    found = []
    for index in range(count):
        result = preprocess_gray(decode_gray(render(None, draw_non_digit(kinds[index % len(kinds)], rng), rng)))
        if result.image is not None:
            found.append(result.image)
    return np.stack(found) if found else np.zeros((0, 28, 28), np.uint8)


def _member_logits(members: list, x: np.ndarray) -> np.ndarray:
    """(members, images, 10): each network's inputs to its final softmax."""
    import keras

    logits = []
    for member in members:
        features = keras.Model(member.inputs, member.layers[-1].input).predict(x, batch_size=512, verbose=0)
        kernel, bias = member.layers[-1].get_weights()
        logits.append(features @ kernel + bias)
    return np.stack(logits)


def mean_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    return np.exp(log_softmax(logits / temperature, axis=-1)).mean(axis=0)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Cross-entropy against the label, or against equal probabilities for a non-digit (-1)."""
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    losses = np.where(labels >= 0, -logp[np.arange(len(labels)), np.maximum(labels, 0)], -logp.mean(axis=1))
    return float(losses.mean())


def fit_temperature(members: list, x: np.ndarray, labels: np.ndarray) -> dict:
    """The temperature (0.25..8) with the lowest cross-entropy of the members' mean on the
    calibration inputs `x` (as the networks take them), with the cross-entropy before and after."""
    logits = _member_logits(members, x)

    def loss(temperature: float) -> float:
        return nll(mean_probabilities(logits, temperature), labels)

    fitted = minimize_scalar(loss, bounds=(0.25, 8.0), method="bounded", options={"xatol": 1e-4})
    temperature = float(np.round(fitted.x, 4))
    return {"temperature": temperature, "cross_entropy_before": loss(1.0), "cross_entropy_after": loss(temperature)}


def apply_temperature(members: list, temperature: float) -> None:
    """Divide each network's last Dense layer by `temperature`: softmax(z / T), in place."""
    for member in members:
        kernel, bias = member.layers[-1].get_weights()
        member.layers[-1].set_weights([kernel / temperature, bias / temperature])


def selective_accuracy(probs: np.ndarray, labels: np.ndarray, unsure_below: float) -> dict:
    """How many answers are flagged, and how accurate the others are."""
    kept = probs.max(axis=1) >= unsure_below
    right = probs.argmax(axis=1) == labels
    return {
        "images": int(len(labels)),
        "accuracy": float(right.mean()) if len(labels) else float("nan"),
        "flagged": float((~kept).mean()) if len(labels) else float("nan"),
        "accuracy_not_flagged": float(right[kept].mean()) if kept.any() else float("nan"),
    }
