import os
import subprocess
import sys

import pytest

from digitstudy.keras_setup import configure_keras
from digitstudy.runtime import memory_mb
from tests.conftest import REPO

PROGRAM = """
import os, sys
sys.path.insert(0, {src!r})
from digitstudy.runtime import log_to
from digitstudy.keras_setup import configure_keras
with log_to({log!r}):
    configure_keras(threads={threads}, seed=7, threads_per_op={per_op})
    import tensorflow as tf
    print("intra", tf.config.threading.get_intra_op_parallelism_threads())
    print("inter", tf.config.threading.get_inter_op_parallelism_threads())
    print("draw", float(tf.random.uniform(())))
    os.write(2, b"from C level\\n")
"""


def _run(tmp_path, name, threads=1, per_op=None):
    log = tmp_path / f"{name}.log"
    program = PROGRAM.format(src=str(REPO / "src"), log=str(log), threads=threads, per_op=per_op)
    subprocess.run([sys.executable, "-c", program], check=True)
    return log.read_text()


def test_threads_seed_and_log_capture(tmp_path):
    first = _run(tmp_path, "a")
    assert "intra 1" in first and "inter 1" in first
    assert "from C level" in first
    draw = [line for line in first.splitlines() if line.startswith("draw")]
    assert draw and draw == [line for line in _run(tmp_path, "b").splitlines() if line.startswith("draw")]


def test_one_thread_per_op_for_models_trained_side_by_side(tmp_path):
    log = _run(tmp_path, "side_by_side", threads=2, per_op=1)
    assert "intra 1" in log and "inter 2" in log and "threads=2 (1 per op)" in log
    with pytest.raises(ValueError, match="threads must be >= 1"):
        configure_keras(threads=2, seed=0, threads_per_op=0)


def test_memory_request_grows_by_half_on_each_retry():
    request = memory_mb(2000)
    assert [request(None, attempt) for attempt in (1, 2, 3)] == [2000, 3000, 4000]


JAX_PROGRAM = """
import os, sys
sys.path.insert(0, {src!r})
from digitstudy.keras_setup import configure_keras
configure_keras(threads=1, seed=7, backend="jax", compilation_cache={cache!r})
import jax, keras
print("backend", keras.backend.backend())
print("cache", jax.config.jax_compilation_cache_dir)
print("async dispatch", jax.config.read("jax_cpu_enable_async_dispatch"))
print("flags", os.environ["XLA_FLAGS"])
print("draw", float(keras.random.uniform((), seed=keras.random.SeedGenerator(1))))
try:
    configure_keras(threads=1, seed=7, backend="tensorflow")
except RuntimeError as error:
    print("switch refused:", error)
"""


def test_jax_backend_is_selected_pinned_to_its_threads_seeded_and_caches_compilations(tmp_path):
    def run():
        program = JAX_PROGRAM.format(src=str(REPO / "src"), cache=str(tmp_path / "jax"))
        return subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "XLA_FLAGS": ""},
        ).stdout

    first = run()
    assert "backend jax" in first
    assert f"cache {tmp_path / 'jax'}" in first
    assert "async dispatch False" in first  # its waiting threads spin: ~40% more CPU, same wall time
    assert "--xla_cpu_multi_thread_eigen=false" in first and "intra_op_parallelism_threads=1" in first
    assert "switch refused: Keras is already imported with the jax backend" in first
    draws = [line for line in first.splitlines() if line.startswith("draw")]
    assert draws and draws == [line for line in run().splitlines() if line.startswith("draw")]


LEAN_JAX_PROGRAM = """
import sys
sys.path.insert(0, {src!r})
from digitstudy.keras_setup import configure_keras
configure_keras(threads=1, seed=0, backend="jax", without_optional_imports=True)
import keras
import numpy as np
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.ones((8, 4), "float32"), np.zeros(8, int), epochs=1, verbose=0)
model.save({h5!r})
model.save({native!r})
for name in ("tensorflow", "sklearn", "matplotlib"):
    print(name, "loaded:", sys.modules.get(name) is not None)
"""


def test_a_jax_job_can_train_and_save_without_importing_tensorflow_sklearn_or_matplotlib(tmp_path):
    # Keras imports them whenever they are installed; an Exercise 1 job saves 2.3 CPU s without.
    program = LEAN_JAX_PROGRAM.format(
        src=str(REPO / "src"), h5=str(tmp_path / "m.h5"), native=str(tmp_path / "m.keras")
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    for name in ("tensorflow", "sklearn", "matplotlib"):
        assert f"{name} loaded: False" in done.stdout
    assert (tmp_path / "m.h5").stat().st_size > 0 and (tmp_path / "m.keras").stat().st_size > 0
    with pytest.raises(ValueError, match="without_optional_imports needs the jax or torch backend"):
        configure_keras(1, 0, backend="tensorflow", without_optional_imports=True)


def test_unknown_backend_and_threads_are_refused():
    with pytest.raises(ValueError, match="unknown Keras backend 'theano'; allowed: tensorflow, jax, torch"):
        configure_keras(1, 0, backend="theano")
    with pytest.raises(ValueError, match="threads must be >= 1"):
        configure_keras(0, 0)


YIELD_PROGRAM = """
import os, sys, threading
sys.path.insert(0, {src!r})
from digitstudy.runtime import yield_cpu
if {refuse_idle!r}:
    def refuse(*args):
        raise PermissionError("not allowed here")
    os.sched_setscheduler = refuse
before = os.nice(0)
print("set", yield_cpu())
print("niceness", "unchanged" if os.nice(0) == before else os.nice(0))
if hasattr(os, "SCHED_IDLE"):
    policies = []
    worker = threading.Thread(target=lambda: policies.append(os.sched_getscheduler(0)))
    worker.start()
    worker.join()
    print("idle class", os.sched_getscheduler(0) == os.SCHED_IDLE, "in a later thread", policies == [os.SCHED_IDLE])
"""


def _yield_in_child(refuse_idle: bool) -> str:
    # In a child process: the test process itself must keep its priority.
    program = YIELD_PROGRAM.format(src=str(REPO / "src"), refuse_idle=refuse_idle)
    return subprocess.run([sys.executable, "-c", program], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="the idle scheduling class is Linux's")
def test_a_background_job_runs_in_the_idle_class_and_so_do_the_threads_it_starts():
    out = _yield_in_child(refuse_idle=False)
    assert "set idle" in out
    assert "idle class True in a later thread True" in out
    assert "niceness unchanged" in out


def test_a_background_job_falls_back_to_niceness_19_where_the_idle_class_is_refused():
    out = _yield_in_child(refuse_idle=True)
    assert "set niceness 19" in out and "\nniceness 19" in out
    assert "idle class False" in out or not hasattr(os, "SCHED_IDLE")
