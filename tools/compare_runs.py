"""Do two workdirs hold the same results? Used to show that a run on SLURM (or with another core
count) equals a local run: every CSV and JSON under results/ must match exactly, except
columns and keys that measure time or the machine.

    python -m tools.compare_runs RUN_A RUN_B
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

# Measurements of the machine, not results: they differ between any two runs.
VOLATILE = set(
    "train_seconds train_seconds_mean seconds wall_seconds retrieved_at rendered_at path decode_and_preprocess_seconds "
    "preprocess_seconds".split()
)


def _strip(node):
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def compare_file(a: Path, b: Path) -> str | None:
    """None if equal, else what differs."""
    if a.suffix == ".csv":
        left, right = (f.drop(columns=[c for c in f.columns if c in VOLATILE]) for f in map(pd.read_csv, (a, b)))
        if list(left.columns) != list(right.columns) or left.shape != right.shape:
            return f"columns or shape differ: {list(left.columns)} {left.shape} vs {list(right.columns)} {right.shape}"
        unequal = ~((left == right) | (left.isna() & right.isna()))
        if unequal.to_numpy().any():
            row, column = next(zip(*unequal.to_numpy().nonzero()))
            name = left.columns[column]
            return f"row {row}, column {name}: {left.iloc[row, column]!r} vs {right.iloc[row, column]!r}"
        return None
    return None if _strip(json.loads(a.read_text())) == _strip(json.loads(b.read_text())) else "JSON content differs"


def compare_runs(run_a: str | Path, run_b: str | Path, subdir: str = "results") -> tuple[int, list[str]]:
    """(files compared, differences). A file present in one run only is a difference."""
    a_root, b_root = Path(run_a) / subdir, Path(run_b) / subdir
    names = {p.relative_to(root) for root in (a_root, b_root) for p in root.rglob("*") if p.suffix in (".csv", ".json")}
    problems = []
    for name in sorted(names):
        a, b = a_root / name, b_root / name
        if not a.exists() or not b.exists():
            problems.append(f"{name}: only in {'the second' if not a.exists() else 'the first'} run")
        elif difference := compare_file(a, b):
            problems.append(f"{name}: {difference}")
    return len(names), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    args = parser.parse_args(argv)
    count, problems = compare_runs(args.run_a, args.run_b)
    for problem in problems:
        print(f"DIFFERS {problem}")
    print(f"{count} result files compared, {len(problems)} differ")
    return 1 if problems or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
