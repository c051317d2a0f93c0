"""What every training script does before it imports Keras: choose the backend, seed, and pin the threads.

Keras 3 runs the same model code on TensorFlow, JAX or PyTorch; the backend is fixed when Keras is
first imported, so it is chosen here, first (config key `keras_backend` of each exercise). On CPU,
Exercise 1's small, deep MLPs train faster on JAX, the CNNs on TensorFlow (README, "Speed").

TensorFlow ignores OMP_NUM_THREADS and grabs every core, which oversubscribes a machine running
several jobs at once; and without op determinism two runs with one seed differ. Keras turns XLA
off while TensorFlow's op determinism is on (`jit_compile=True` is ignored with a warning), so no
model here asks for it. JAX compiles with XLA and is deterministic on CPU as it is; PyTorch is
asked for deterministic algorithms.
"""

from __future__ import annotations

import contextlib
import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")
# What Keras imports whenever it is installed, for features a plain JAX training job does not
# use: TensorFlow to seed it and to recognise its types when saving, scikit-learn for Keras'
# scikit-learn wrappers, matplotlib for its image-gallery plots.
OPTIONAL_IMPORTS = ("tensorflow", "sklearn", "matplotlib")


def default_backend() -> str:
    """Keras' own choice: the KERAS_BACKEND variable, else TensorFlow."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def select_backend(backend: str, without: tuple[str, ...] = ()) -> None:
    """Fix the backend Keras will import with. On JAX or PyTorch, TensorFlow (and `without`) can no
    longer be imported: Keras would import it if installed (to seed it, to recognise its types),
    which costs seconds a job and ties a GPU machine without TensorFlow to it."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown Keras backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    keras = sys.modules.get("keras")
    if keras is not None and keras.backend.backend() != backend:
        raise RuntimeError(
            f"Keras is already imported with the {keras.backend.backend()} backend, "
            f"so it cannot switch to {backend}: choose the backend before importing keras"
        )
    if backend != "tensorflow":
        if sys.modules.get("tensorflow") is not None:
            raise RuntimeError(f"TensorFlow is already imported, so this {backend} job would run beside it")
        without = ("tensorflow", *without)
    for name in without:
        sys.modules.setdefault(name, None)  # `import name` now raises ImportError
    os.environ["KERAS_BACKEND"] = backend
    if backend == "jax":
        # Share a GPU with the other jobs instead of reserving most of its memory (as TensorFlow's memory growth).
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def configure_job(job, seed: int, backend: str, **options) -> None:
    """configure_keras for a Snakemake job (its `snakemake` object): its threads, and a GPU only
    where the job asked for the `gpu` resource (profiles/gpu, profiles/slurm-gpu)."""
    configure_keras(job.threads, seed, backend, gpus=job.resources.get("gpu", 0), **options)


def steps_per_execution(requested: int) -> int:
    """Training steps per compiled call: Keras on PyTorch runs one (and refuses more); the same results."""
    import keras

    return 1 if keras.backend.backend() == "torch" else requested


def configure_keras(
    threads: int,
    seed: int,
    backend: str | None = None,
    deterministic: bool = True,
    compilation_cache: str | os.PathLike | None = None,
    without_optional_imports: bool = False,
    threads_per_op: int | None = None,
    gpus: int | None = None,
) -> None:
    """Select the Keras backend (default: default_backend()), size its thread pools, seed Python,
    NumPy and the backend, and make ops deterministic. Must run before Keras is imported: neither
    the backend nor the thread pools can change afterwards.

    `threads_per_op` (default `threads`): the threads one op may use; 1 for a job that trains
    `threads` models side by side, so that no op waits for a thread another process holds (and the
    numbers do not depend on how many cores the job got). `compilation_cache` (JAX only): a folder
    where XLA keeps what it compiled, for the next job with the same model and shapes; loading gives
    the same program, so results do not change. `without_optional_imports` (not TensorFlow): make
    OPTIONAL_IMPORTS unimportable, for jobs that use none of them (they cost ~2.3 CPU s a job).
    `gpus=0` (a workflow job that asked for no `gpu` resource): hide every GPU, so that CPU jobs
    leave the device to the jobs that asked for it; None leaves the devices as they are."""
    backend = backend or default_backend()
    threads_per_op = threads if threads_per_op is None else threads_per_op
    if threads < 1 or threads_per_op < 1:
        raise ValueError(f"threads must be >= 1, got {threads} ({threads_per_op} per op)")
    if without_optional_imports and backend == "tensorflow":
        raise ValueError("without_optional_imports needs the jax or torch backend")
    select_backend(backend, OPTIONAL_IMPORTS if without_optional_imports else ())
    if gpus == 0:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        if backend == "jax":
            os.environ["JAX_PLATFORMS"] = "cpu"  # else JAX warns that it found no GPU
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if backend == "jax":
        # XLA reads these flags when JAX starts. One thread per op for the CPU client (after a --flag:
        # a value alone would be read as a file name).
        flags = os.environ.get("XLA_FLAGS", "")
        if threads_per_op == 1 and "xla_cpu_multi_thread_eigen" not in flags:
            flags += " --xla_cpu_multi_thread_eigen=false"
        if deterministic and gpus != 0 and "xla_gpu_deterministic_ops" not in flags:
            flags += " --xla_gpu_deterministic_ops=true"  # GPU reductions in a fixed order
        if threads_per_op == 1:
            flags += " intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = flags.strip()
    import keras

    if backend == "tensorflow":
        version, devices = _configure_tensorflow(threads, threads_per_op, deterministic)
    elif backend == "torch":
        version, devices = _configure_torch(threads, threads_per_op, deterministic)
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


def _configure_torch(threads: int, threads_per_op: int, deterministic: bool) -> tuple[str, list[str]]:
    import torch

    torch.set_num_threads(threads_per_op)
    with contextlib.suppress(RuntimeError):  # set once per process, before any parallel work
        torch.set_num_interop_threads(threads)
    if deterministic:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    gpus = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return torch.__version__, ["cpu", *gpus]
