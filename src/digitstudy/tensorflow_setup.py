"""What every training script does before its first TensorFlow op: seed and pin TensorFlow.

TensorFlow ignores OMP_NUM_THREADS and grabs every core, which oversubscribes a machine
running several jobs at once; and without op determinism two runs with one seed differ.
Keras turns XLA off while op determinism is on (`jit_compile=True` is ignored with a
warning), so no model here asks for it: reproducibility wins over that speed-up.
"""

from __future__ import annotations

import os
import sys


def configure_tensorflow(threads: int, seed: int, deterministic: bool = True):
    """Seed Python, NumPy and TensorFlow, make ops deterministic and size TF's thread pools.

    Must run before the first TensorFlow op: thread pools cannot be resized afterwards.
    Returns the tensorflow module so scripts import it through here.
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    for gpu in tf.config.list_physical_devices("GPU"):
        # Share a GPU node's device with other jobs instead of reserving all its memory.
        tf.config.experimental.set_memory_growth(gpu, True)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    print(
        f"tensorflow {tf.__version__}, keras {keras.__version__}: threads={threads}, seed={seed}, "
        f"deterministic={deterministic}, devices={[d.name for d in tf.config.list_logical_devices()]}",
        file=sys.stderr,
    )
    return tf
