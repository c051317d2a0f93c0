"""Batches that keep images as uint8 in memory and scale each batch to [0, 1].

Scaling a whole training set up front would hold it as float32 (66k SVHN crops: 0.8 GB) plus
the copy Keras makes of it; per batch, training jobs stay well under 3 GB. On TensorFlow a
tf.data pipeline (its shuffle and prefetch give today's results); on JAX and PyTorch a
keras.utils.PyDataset, which runs on every backend.
"""

from __future__ import annotations

import math

import numpy as np

from .arrays import PIXEL_MAX

# Batch size for evaluation and prediction (no gradients: larger batches only cost memory).
EVAL_BATCH = 1024


def uint8_batches(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle_seed: int | None = None):
    """(images / 255 as float32, labels) in batches; a new seeded order each epoch with `shuffle_seed`."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return _neutral_batches(images, labels, batch_size, shuffle_seed)
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        data = data.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32) / PIXEL_MAX, y)).prefetch(2)


def _neutral_batches(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle_seed: int | None):
    import keras

    class Uint8Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
            self.order = np.arange(len(labels))
            self.on_epoch_end()

        def __len__(self):
            return math.ceil(len(labels) / batch_size)

        def __getitem__(self, index):
            chosen = self.order[index * batch_size : (index + 1) * batch_size]
            return images[chosen].astype(np.float32) / PIXEL_MAX, labels[chosen]

        def on_epoch_end(self):
            if self.rng is not None:
                self.order = self.rng.permutation(len(labels))

    return Uint8Batches()
