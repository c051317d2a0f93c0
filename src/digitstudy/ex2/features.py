"""Feature maps: the output of every convolutional filter for chosen test images."""

from __future__ import annotations

import keras
import numpy as np

from .model import conv_layer_names


def pick_one_per_class(labels: np.ndarray, seed: int) -> dict[int, int]:
    """One random (seeded) test index per digit present."""
    rng = np.random.default_rng(seed)
    return {
        int(digit): int(rng.choice(np.flatnonzero(labels == digit))) for digit in range(10) if np.any(labels == digit)
    }


def feature_maps(model: keras.Model, images: np.ndarray) -> dict[str, np.ndarray]:
    """{conv layer name: activations (N, H, W, filters)} for float images in [0, 1]."""
    names = conv_layer_names(model)
    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    outputs = probe.predict(images, verbose=0)
    return dict(zip(names, outputs if isinstance(outputs, list) else [outputs]))
