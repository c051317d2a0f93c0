"""Benchmark: does the workflow scale with cores? The same reduced Exercise 1 grid runs with
`--cores 1` and then `--cores N` (fresh results each time, data prepared once, untimed); the
printed speedup is measured in the same run, on whatever machine runs it. Both runs must give
identical results (compare_runs), or the benchmark fails.

    python -m tools.benchmark_cores --mnist resources/mnist/mnist.npz   # a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tools.compare_runs import compare_runs

REPO = Path(__file__).resolve().parents[1]


def grid_config(activations: list[str], depths: list[int], seeds: list[int], epochs: int, subset: int) -> dict:
    return {
        "mnist": {"source": "auto"},
        "ex1": {
            "activations": activations,
            "depths": depths,
            "seeds": seeds,
            "epochs": epochs,
            "train_subset": subset,
            "validation_size": 1000,
            "gradient_epochs": [0, epochs],
            "figure_epochs": [epochs],
        },
    }


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snakemake(
    workdir: Path, cores: int, targets: list[str], configfile: Path | None = None, overrides: list[str] = ()
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process it ran) of `snakemake --cores N TARGETS` in
    `workdir`, with `configfile` (default: the workdir's config.yaml) and `--config` overrides."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(configfile or workdir / "config.yaml"),
        "--cores",
        str(cores),
        *targets,
    ]
    if overrides:
        command += ["--config", *overrides]
    cpu, started = children_cpu_seconds(), time.perf_counter()
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"snakemake --cores {cores} failed in {workdir}:\n{result.stderr[-4000:]}")
    return elapsed, children_cpu_seconds() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", help="an existing resources/mnist/mnist.npz to copy (else it is fetched once)")
    parser.add_argument("--cores", type=int, default=2, help="compared against --cores 1")
    parser.add_argument("--activations", nargs="+", default=["relu", "tanh"])
    parser.add_argument("--depths", nargs="+", type=int, default=[5, 10])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-subset", type=int, default=20000)
    args = parser.parse_args(argv)

    runs = {}
    with tempfile.TemporaryDirectory(prefix="digitstudy-scaling-") as scratch:
        config = grid_config(args.activations, args.depths, args.seeds, args.epochs, args.train_subset)
        jobs = len(args.activations) * len(args.depths) * len(args.seeds)
        for cores in (1, args.cores):
            workdir = Path(scratch) / f"cores{cores}"
            workdir.mkdir()
            (workdir / "config.yaml").write_text(yaml.safe_dump(config))
            if args.mnist:
                target = workdir / "resources/mnist"
                target.mkdir(parents=True)
                shutil.copy(args.mnist, target / "mnist.npz")
                shutil.copy(Path(args.mnist).with_name("provenance.json"), target / "provenance.json")
            else:
                snakemake(workdir, 1, ["resources/mnist/mnist.npz"])  # untimed
            runs[cores] = (
                workdir,
                snakemake(workdir, cores, ["results/ex1/metrics.csv", "results/ex1/gradients.csv"])[0],
            )
            print(f"--cores {cores}: {jobs} training jobs in {runs[cores][1]:.1f} s", flush=True)
        compared, problems = compare_runs(runs[1][0], runs[args.cores][0])
        for problem in problems:
            print(f"DIFFERS {problem}")
        speedup = runs[1][1] / runs[args.cores][1]
        print(
            f"speedup --cores {args.cores} vs --cores 1: {speedup:.2f}x "
            f"({compared} result files identical: {not problems})"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
