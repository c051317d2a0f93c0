"""tf.data pipelines that keep images as uint8 in memory and scale each batch to [0, 1].

Scaling a whole training set up front would hold it as float32 (66k SVHN crops: 0.8 GB) plus
the copy Keras makes of it; per batch, training jobs stay well under 3 GB.
"""

from __future__ import annotations

import numpy as np

from .arrays import PIXEL_MAX

# Batch size for evaluation and prediction (no gradients: larger batches only cost memory).
EVAL_BATCH = 1024


def uint8_batches(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle_seed: int | None = None):
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        data = data.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32) / PIXEL_MAX, y)).prefetch(2)
