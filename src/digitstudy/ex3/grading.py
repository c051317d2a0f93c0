"""Grade submitted models: accuracy on a labelled folder, marks = 40 x accuracy / best.

Each submission is checked, loaded and run in its own child process under limits, so that a
broken or hostile file costs only its own marks (0 and a reason); `grades.csv` is always written.
Children come from a *forkserver* that has imported Keras and its backend once (cheap processes), started
from an empty folder with only installed packages on sys.path (no user folder can shadow a module
Keras imports). Each child sets its own `resource` limits before it reads the file: address space
(an allocation fails instead of exhausting the machine), CPU seconds, size of files written in its
own temporary working folder. The parent enforces wall time, and kills a child whose resident memory
is over the limit.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import types
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from ..keras_setup import default_backend
from ..settings import FromConfig

MARKS = 40.0
SUBMISSION_SUFFIXES = (".h5", ".hdf5", ".keras")
# What the forkserver imports once, before any submission is read (imports only: no backend op),
# then the Keras backend's own module (KERAS_BACKEND, which the children inherit).
PRELOAD = "numpy h5py keras digitstudy.ex3.safe_load digitstudy.ex3.inference digitstudy.keras_setup".split()


@dataclass(frozen=True)
class Limits(FromConfig):
    """Per submission (config keys ex3.grade.limits.*, defaults in the schema)."""

    file_mb: float
    config_mb: float
    disk_mb: float
    memory_mb: float
    cpu_seconds: int
    wall_seconds: float
    workers: int


@dataclass(frozen=True)
class Images:
    """The labelled folder, preprocessed once in the parent: every child gets the same inputs."""

    images: np.ndarray  # (n_ok, 28, 28) uint8: the files in which a digit was found
    labels: np.ndarray  # (n_ok,) their labels
    files: int  # all files; those without a digit count as wrong for everyone


def labelled_images(folder: str | Path) -> Images:
    from .inference import labelled_files, prepare

    files, labels = labelled_files(folder)
    batch = prepare(files)
    return Images(batch.images, labels[batch.ok], len(files))


def submission_files(folder: str | Path) -> list[Path]:
    """Model files in a folder, whatever the case of their extension (.h5, .KERAS, ...)."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in SUBMISSION_SUFFIXES)


def _resident_kb(pid: int) -> int | None:
    """A process's resident memory, or None once it has gone."""
    try:
        return psutil.Process(pid).memory_info().rss // 1024
    except psutil.Error:
        return None


def _grade_one(path: str, images: Images, limits: Limits, workdir: str, connection) -> None:
    """In the child: limits first, then check, load, predict; one message back."""
    os.chdir(workdir)
    os.environ["TMPDIR"] = tempfile.tempdir = workdir
    address_space = psutil.Process().memory_info().vms + int(limits.memory_mb * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    disk = int(limits.disk_mb * 2**20)
    resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        from ..keras_setup import configure_keras
        from .inference import probabilities
        from .safe_load import SizeLimits, load_untrusted

        configure_keras(1, 0)
        model = load_untrusted(path, SizeLimits(limits.file_mb, limits.config_mb, limits.disk_mb))
        predicted = probabilities(model, images.images).argmax(axis=1)
        accuracy = float((predicted == images.labels).sum() / images.files)
        message = {"status": "graded", "accuracy": accuracy}
    except BaseException as error:  # anything a hostile file can cause is this submission's refusal
        if error.__class__.__name__ == "UnsafeModel":
            reason = str(error)
        else:  # the first line says what happened; TensorFlow's tracebacks follow it
            reason = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
        message = {"status": f"refused: {reason[:500]}"}
    message["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KB
    connection.send(message)
    connection.close()


def _installed_paths() -> set[Path]:
    """What sys.path holds in an isolated interpreter (`python -I`: no current folder, no script
    folder, no PYTHON* variables, no user site): the installation, its site-packages and what
    their .pth files add, such as editable installs. Plus this package's own folder."""
    code = "import json, sys; print(json.dumps(sys.path))"
    isolated = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    return {Path(entry).resolve() for entry in json.loads(isolated.stdout) if entry} | {Path(__file__).parents[2]}


@contextmanager
def _clean_import_environment():
    """Start the forkserver from an empty folder with installed packages only on sys.path."""
    saved_path, saved_cwd = list(sys.path), os.getcwd()
    installed = _installed_paths()
    sys.path[:] = [entry for entry in sys.path if entry and Path(entry).resolve() in installed]
    os.chdir(tempfile.mkdtemp(prefix="digitstudy-grader-"))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)


@contextmanager
def _no_main_module():
    """multiprocessing re-runs the parent's main script in each child (to find what it needs);
    the grader's children need nothing from it, and a Snakemake script or a user's program must
    not run again. While a child starts, __main__ is an empty module."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _context():
    context = multiprocessing.get_context("forkserver")
    with _clean_import_environment(), _no_main_module():
        context.set_forkserver_preload([*PRELOAD, default_backend()])
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return context


SIGNALS = {
    signal.SIGXCPU: "the CPU time limit",
    signal.SIGXFSZ: "the disk limit (a file written was too large)",
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "a crash (segmentation fault; often the memory limit)",
    signal.SIGABRT: "a crash (abort; often the memory limit)",
}


def _start(context, path: Path, images: Images, limits: Limits, base: str) -> dict:
    workdir = tempfile.mkdtemp(dir=base)
    receive, send = context.Pipe(duplex=False)
    args = (str(path.absolute()), images, limits, workdir, send)
    process = context.Process(target=_grade_one, args=args, daemon=True)
    with _no_main_module():
        process.start()
    send.close()
    return dict(path=path, process=process, pipe=receive, started=time.monotonic(), peak_kb=0, reason=None)


def _run_all(paths: list[Path], images: Images, limits: Limits) -> dict[Path, dict]:
    if not paths:
        return {}
    context = _context()
    results, pending, running = {}, list(paths), []
    base = tempfile.mkdtemp(prefix="digitstudy-grading-")
    while pending or running:
        while pending and len(running) < max(1, limits.workers):
            running.append(_start(context, pending.pop(0), images, limits, base))
        time.sleep(0.02)
        for job in list(running):
            process = job["process"]
            rss = _resident_kb(process.pid)
            job["peak_kb"] = max(job["peak_kb"], rss or 0)
            if rss is not None and rss > limits.memory_mb * 1024 and job["reason"] is None:
                job["reason"] = f"killed at the memory limit ({limits.memory_mb:,.0f} MB resident)"
                process.kill()
            elif time.monotonic() - job["started"] > limits.wall_seconds and job["reason"] is None:
                job["reason"] = f"killed at the wall time limit ({limits.wall_seconds:g} s)"
                process.kill()
            message = None
            with suppress(EOFError, OSError):
                if job["pipe"].poll():
                    message = job["pipe"].recv()
            if message is None and process.is_alive():
                continue
            process.join(5)
            seconds = round(time.monotonic() - job["started"], 2)
            if message is None:
                code, reason = process.exitcode, job["reason"]
                if not reason:
                    cause = SIGNALS.get(-code, f"signal {-code}") if code and code < 0 else f"exit status {code}"
                    reason = f"grading stopped by {cause}"
                message = {"status": f"refused: {reason}", "peak_memory_mb": round(job["peak_kb"] / 1024, 1)}
            results[job["path"]] = {**message, "seconds": seconds}
            running.remove(job)
    return results


COLUMNS = ["submission", "accuracy", "status", "seconds", "peak_memory_mb"]


def grade(submissions: list[Path], folder: str | Path, limits: Limits) -> pd.DataFrame:
    """One row per submission: accuracy, status (graded, or refused with the reason), marks,
    seconds and peak resident memory of its child process."""
    images = labelled_images(folder)
    too_large = {p for p in submissions if p.is_file() and p.stat().st_size > limits.file_mb * 2**20}
    results = _run_all([p for p in submissions if p not in too_large], images, limits)
    rows = []
    for path in submissions:
        refusal = f"refused: {path.name} is over the {limits.file_mb:,.0f} MB file limit"
        result = results.get(path) or {"status": refusal, "seconds": 0.0}
        rows.append({"submission": path.name} | {key: result.get(key) for key in COLUMNS[1:]})
    table = pd.DataFrame(rows, columns=COLUMNS)
    best = table.accuracy.max()
    accuracy = table.accuracy.astype(float)
    marks = [round(MARKS * a / best, 2) if not math.isnan(a) and best and best > 0 else 0.0 for a in accuracy]
    table.insert(2, "marks", marks)
    return table


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would read as a formula (= + - @, tab, CR first) get a leading '."""

    def safe(value):
        return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

    return table.apply(lambda column: column.map(safe) if pd.api.types.is_string_dtype(column) else column)
