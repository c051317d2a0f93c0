"""Benchmark: one stage, or the whole workflow, under today's recipe and a new one, in the same
run, on whatever machine runs it; prints wall and CPU seconds of each and the ratio.

A recipe is a set of `--config` overrides. Both runs start from the same prepared data (copied,
untimed) in fresh work directories and build the same targets with the same `--cores`. CPU
seconds are those of every process Snakemake ran (its children's rusage), so the utilisation
shows idle cores. Where the target holds Exercise 1 results, each configuration's mean test
accuracy is printed beside the other recipe's.

    # Exercise 1's Keras backend (the default comparison: a reduced grid, about 6 minutes on 2 cores)
    python -m tools.benchmark_recipes --resources resources
    # the whole default workflow, TensorFlow against JAX for Exercise 1 (about an hour on 2 cores)
    python -m tools.benchmark_recipes --resources resources --target all --common ''
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from tools.benchmark_cores import REPO, snakemake

REDUCED_EX1 = "ex1={depths: [5, 40], seeds: [0], gradient_epochs: [0, 3], figure_epochs: [3, 0]}"


def ex1_accuracy(workdir: Path) -> pd.Series | None:
    path = workdir / "results/ex1/metrics.csv"
    if not path.exists():
        return None
    return pd.read_csv(path).groupby(["activation", "depth"])["test_accuracy"].mean()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--resources",
        required=True,
        help="a prepared resources/ folder (the workflow's datasets) to copy into both runs",
    )
    parser.add_argument(
        "--baseline",
        nargs="*",
        default=["ex1={keras_backend: tensorflow}"],
        help="--config overrides of today's recipe",
    )
    parser.add_argument(
        "--candidate", nargs="*", default=["ex1={keras_backend: jax}"], help="--config overrides of the new recipe"
    )
    parser.add_argument(
        "--common",
        nargs="*",
        default=[REDUCED_EX1],
        help="overrides of both (default: a reduced Exercise 1 grid); '' for none",
    )
    parser.add_argument("--target", nargs="+", default=["results/ex1/metrics.csv"])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)

    common = [override for override in args.common if override]
    rows, accuracy = [], {}
    with tempfile.TemporaryDirectory(prefix="digitstudy-recipe-") as scratch:
        for name, overrides in (("baseline", args.baseline), ("candidate", args.candidate)):
            workdir = Path(scratch) / name
            shutil.copytree(args.resources, workdir / "resources")
            # Two overrides of one section would replace each other: merge them into one.
            merged = merge_overrides(common + overrides)
            wall, cpu = snakemake(workdir, args.cores, args.target, REPO / "config.yaml", merged)
            rows.append(
                {
                    "recipe": name,
                    "overrides": " ".join(merged),
                    "wall_s": round(wall, 1),
                    "cpu_s": round(cpu, 1),
                    "utilisation": round(cpu / (wall * args.cores), 2),
                }
            )
            print(f"{name}: {wall:.1f} s wall, {cpu:.1f} CPU s ({' '.join(merged)})", flush=True)
            accuracy[name] = ex1_accuracy(workdir)
    table = pd.DataFrame(rows).set_index("recipe")
    print(table.to_string())
    print(
        f"ratio baseline / candidate: wall {table.wall_s.baseline / table.wall_s.candidate:.2f}x, "
        f"CPU {table.cpu_s.baseline / table.cpu_s.candidate:.2f}x"
    )
    if all(value is not None for value in accuracy.values()):
        print("Exercise 1 mean test accuracy per configuration:")
        print(pd.DataFrame(accuracy).round(4).to_string())
    return 0


def merge_overrides(overrides: list[str]) -> list[str]:
    """`--config` KEY=YAML strings, with the mappings given for one key merged (later wins)."""
    merged: dict[str, object] = {}
    for override in overrides:
        key, _, value = override.partition("=")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **parsed}
        else:
            merged[key] = parsed
    return [f"{key}={_one_line(value)}" for key, value in merged.items()]


def _one_line(value) -> str:
    """YAML flow style on one line, however long (a scalar's dump ends with "...")."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("\n...\n").strip()


if __name__ == "__main__":
    sys.exit(main())
