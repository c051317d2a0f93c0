"""What jobs need at run time: their output in the rule's log, a memory request that grows
when a job is retried, and a lower CPU priority for the jobs that fill the cores around the
longest one.

Training scripts then call digitstudy.keras_setup.configure_keras; it lives apart so
that jobs which never use TensorFlow do not need it installed.
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


def memory_mb(base: int):
    """A rule's mem_mb that grows by half of `base` on each retry, so that a job killed for
    memory gets more on the next attempt (profiles/slurm sets `retries`; locally there are none).
    Bases are sized from the peak RSS in benchmarks/ with about 50% headroom."""
    return lambda wildcards, attempt: int(base * (1 + 0.5 * (attempt - 1)))


def yield_cpu() -> str:
    """Give this process only the CPU time that other processes leave unused: Linux's SCHED_IDLE
    class, or niceness 19 where that class is missing or refused. Returns which one was set.

    For the heavy jobs off the run's longest chain (ex3_train's threads wait for each other at every
    op, so a job holding a core when one wakes slows every step): Linux preempts an idle-class task
    as soon as a normal one wakes; a niced task only when fairness says so (README, "Speed").
    Only this thread and those it starts afterwards are affected: call it before importing Keras."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        kind = "idle"
    except (AttributeError, OSError):  # no idle class on this system, or not allowed
        os.nice(19 - os.nice(0))
        kind = "niceness 19"
    print(f"CPU priority: background ({kind})", file=sys.stderr)
    return kind
