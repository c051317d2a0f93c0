"""What every training script does before it imports Keras: choose the backend, seed, and pin the threads.

Keras 3 runs the same model code on TensorFlow or JAX; the backend is fixed when Keras is first
imported, so it is chosen here, first. Exercise 1's small, deep MLPs train faster on JAX
(README, "Speed"); the CNNs train faster on TensorFlow.

TensorFlow ignores OMP_NUM_THREADS and grabs every core, which oversubscribes a machine running
several jobs at once; and without op determinism two runs with one seed differ. Keras turns XLA
off while TensorFlow's op determinism is on (`jit_compile=True` is ignored with a warning), so no
model here asks for it. JAX compiles with XLA and is deterministic on CPU as it is.
"""

from __future__ import annotations

import os
import sys

BACKENDS = ("tensorflow", "jax")
# What Keras imports whenever it is installed, for features a plain JAX training job does not
# use: TensorFlow to seed it and to recognise its types when saving, scikit-learn for Keras'
# scikit-learn wrappers, matplotlib for its image-gallery plots.
OPTIONAL_IMPORTS = ("tensorflow", "sklearn", "matplotlib")


def configure_keras(
    threads: int,
    seed: int,
    backend: str = "tensorflow",
    deterministic: bool = True,
    compilation_cache: str | os.PathLike | None = None,
    without_optional_imports: bool = False,
    threads_per_op: int | None = None,
) -> None:
    """Select the Keras backend, size its thread pools, seed Python, NumPy and the backend, and
    (TensorFlow) make ops deterministic. Must run before Keras is imported: neither the backend
    nor TensorFlow's thread pools can change afterwards.

    `threads_per_op` (default `threads`): the threads one op may use; 1 for a job that trains
    `threads` models side by side, so that no op waits for a thread another process holds (and the
    numbers do not depend on how many cores the job got). `compilation_cache` (JAX only): a folder
    where XLA keeps what it compiled, for the next job with the same model and shapes; loading gives
    the same program, so results do not change. `without_optional_imports` (JAX only): make
    OPTIONAL_IMPORTS unimportable, for jobs that use none of them (they cost ~2.3 CPU s a job)."""
    threads_per_op = threads if threads_per_op is None else threads_per_op
    if threads < 1 or threads_per_op < 1:
        raise ValueError(f"threads must be >= 1, got {threads} ({threads_per_op} per op)")
    if backend not in BACKENDS:
        raise ValueError(f"unknown Keras backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != backend:
        raise RuntimeError(
            f"Keras is already imported with the {sys.modules['keras'].backend.backend()} backend, "
            f"so it cannot switch to {backend}: call configure_keras before importing keras"
        )
    if without_optional_imports:
        if backend != "jax":
            raise ValueError("without_optional_imports needs the jax backend")
        for name in OPTIONAL_IMPORTS:
            sys.modules.setdefault(name, None)  # `import name` now raises ImportError
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if backend == "jax":
        # XLA's CPU client sizes its pools from these flags, read when JAX starts.
        flags = os.environ.get("XLA_FLAGS", "")
        if threads_per_op == 1 and "xla_cpu_multi_thread_eigen" not in flags:
            flags += " --xla_cpu_multi_thread_eigen=false"
        os.environ["XLA_FLAGS"] = f"{flags} intra_op_parallelism_threads={threads_per_op}".strip()
    import keras

    if backend == "tensorflow":
        version, devices = _configure_tensorflow(threads, threads_per_op, deterministic)
    else:
        version, devices = _configure_jax(compilation_cache)
    keras.utils.set_random_seed(seed)
    setup = f"threads={threads} ({threads_per_op} per op), seed={seed}, deterministic={deterministic}"
    print(f"{backend} {version}, keras {keras.__version__}: {setup}, devices={devices}", file=sys.stderr)


def _configure_tensorflow(threads: int, threads_per_op: int, deterministic: bool) -> tuple[str, list[str]]:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads_per_op)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    for gpu in tf.config.list_physical_devices("GPU"):
        # Share a GPU node's device with other jobs instead of reserving all its memory.
        tf.config.experimental.set_memory_growth(gpu, True)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return tf.__version__, [d.name for d in tf.config.list_logical_devices()]


def _configure_jax(compilation_cache) -> tuple[str, list[str]]:
    import jax

    # Same programs, same results, same wall time on one core; without it the dispatching
    # thread and XLA's worker spin while they wait for each other (README, "Speed").
    jax.config.update("jax_cpu_enable_async_dispatch", False)
    if compilation_cache is not None:
        jax.config.update("jax_compilation_cache_dir", str(compilation_cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    return jax.__version__, [str(d) for d in jax.devices()]
