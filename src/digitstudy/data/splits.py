"""Seeded random splits shared by every exercise."""

from __future__ import annotations

import numpy as np


def random_split(count: int, held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held_out) sorted index arrays: `held_out` distinct indices drawn at random with
    `seed` (not the last rows); the same seed always gives the same split."""
    if not 0 < held_out < count:
        raise ValueError(f"validation_size must lie in 1..{count - 1}, got {held_out}")
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def training_count(total: int, subset: int | None) -> int:
    """How many of `total` training images a run uses: the first `subset` (config key
    `train_subset`, for quick runs), or all of them when it is None."""
    return total if subset is None else min(subset, total)


def split_training_set(
    total: int, subset: int | None, validation_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices into the images that training_count keeps."""
    return random_split(training_count(total, subset), validation_size, seed)
