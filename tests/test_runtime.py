import subprocess
import sys

from digitstudy.runtime import memory_mb
from tests.conftest import REPO

PROGRAM = """
import os, sys
sys.path.insert(0, {src!r})
from digitstudy.runtime import log_to
from digitstudy.tensorflow_setup import configure_tensorflow
with log_to({log!r}):
    tf = configure_tensorflow(threads=1, seed=7)
    print("intra", tf.config.threading.get_intra_op_parallelism_threads())
    print("inter", tf.config.threading.get_inter_op_parallelism_threads())
    print("draw", float(tf.random.uniform(())))
    os.write(2, b"from C level\\n")
"""


def _run(tmp_path, name):
    log = tmp_path / f"{name}.log"
    subprocess.run([sys.executable, "-c", PROGRAM.format(src=str(REPO / "src"), log=str(log))], check=True)
    return log.read_text()


def test_threads_seed_and_log_capture(tmp_path):
    first = _run(tmp_path, "a")
    assert "intra 1" in first and "inter 1" in first
    assert "from C level" in first
    draw = [line for line in first.splitlines() if line.startswith("draw")]
    assert draw and draw == [line for line in _run(tmp_path, "b").splitlines() if line.startswith("draw")]


def test_memory_request_grows_by_half_on_each_retry():
    request = memory_mb(2000)
    assert [request(None, attempt) for attempt in (1, 2, 3)] == [2000, 3000, 4000]
