"""What every job script does first: send its output to the rule's log, and pin TensorFlow.

TensorFlow ignores OMP_NUM_THREADS and grabs every core, which oversubscribes a machine
running several jobs at once; and without op determinism two runs with one seed differ.
Keras turns XLA off while op determinism is on (`jit_compile=True` is ignored with a
warning), so no model here asks for it: reproducibility wins over that speed-up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path


@contextlib.contextmanager
def log_to(path: str | os.PathLike | None):
    """Route stdout, stderr (also of C++ libraries such as TensorFlow) and `logging` to the
    rule's log file, line-buffered. A failure is logged with its traceback and re-raised."""
    if path is None:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with open(path, "w", buffering=1) as handle:
        for fd in saved:
            os.dup2(handle.fileno(), fd)
        handler = logging.StreamHandler(handle)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            with contextlib.redirect_stdout(handle), contextlib.redirect_stderr(handle):
                yield
        except BaseException:
            logging.getLogger(__name__).exception("job failed")
            raise
        finally:
            root.removeHandler(handler)
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


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
