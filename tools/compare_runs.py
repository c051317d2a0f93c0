"""Do two workdirs hold the same results? Used to show that a run on SLURM (or with another core
count) equals a local run: every CSV and JSON under results/ must match exactly, except
columns and keys that measure time or the machine.

    python -m tools.compare_runs RUN_A RUN_B [--allow-added]

With --allow-added, the second run may add CSV columns and JSON keys (a new field that every
result now carries): they are listed, and everything the first run has must still match.
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


def _added_keys(a, b, path: str = "") -> list[str]:
    """Keys of b's dicts that a lacks, as dotted paths; b is cut down to a's keys in place."""
    if isinstance(a, dict) and isinstance(b, dict):
        added = [f"{path}{k}" for k in b if k not in a]
        for key in added:
            b.pop(key.removeprefix(path))
        return added + [k for key in a if key in b for k in _added_keys(a[key], b[key], f"{path}{key}.")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return sorted({k for x, y in zip(a, b) for k in _added_keys(x, y, f"{path}[].")})
    return []


def compare_file(a: Path, b: Path, added: list[str] | None = None) -> str | None:
    """None if equal, else what differs. With a list `added`, columns and keys that only b has are
    appended to it instead of counting as differences."""
    if a.suffix == ".csv":
        left, right = (f.drop(columns=[c for c in f.columns if c in VOLATILE]) for f in map(pd.read_csv, (a, b)))
        if added is not None:
            added += [c for c in right.columns if c not in left.columns]
            right = right[[c for c in left.columns if c in right.columns]]
        if list(left.columns) != list(right.columns) or left.shape != right.shape:
            return f"columns or shape differ: {list(left.columns)} {left.shape} vs {list(right.columns)} {right.shape}"
        unequal = ~((left == right) | (left.isna() & right.isna()))
        if unequal.to_numpy().any():
            row, column = next(zip(*unequal.to_numpy().nonzero()))
            name = left.columns[column]
            return f"row {row}, column {name}: {left.iloc[row, column]!r} vs {right.iloc[row, column]!r}"
        return None
    left, right = (_strip(json.loads(f.read_text())) for f in (a, b))
    if added is not None:
        added += _added_keys(left, right)
    return None if left == right else "JSON content differs"


def compare_runs(
    run_a: str | Path, run_b: str | Path, subdir: str = "results", added: dict[str, list[str]] | None = None
) -> tuple[int, list[str]]:
    """(files compared, differences). A file present in one run only is a difference. With a dict
    `added`, the columns and keys that only run_b's files have are recorded there by file."""
    a_root, b_root = Path(run_a) / subdir, Path(run_b) / subdir
    names = {p.relative_to(root) for root in (a_root, b_root) for p in root.rglob("*") if p.suffix in (".csv", ".json")}
    problems = []
    for name in sorted(names):
        a, b = a_root / name, b_root / name
        if not a.exists() or not b.exists():
            problems.append(f"{name}: only in {'the second' if not a.exists() else 'the first'} run")
        else:
            new = [] if added is not None else None
            if difference := compare_file(a, b, new):
                problems.append(f"{name}: {difference}")
            if new:
                added[str(name)] = new
    return len(names), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    parser.add_argument("--allow-added", action="store_true", help="the second run may add columns and keys")
    args = parser.parse_args(argv)
    added = {} if args.allow_added else None
    count, problems = compare_runs(args.run_a, args.run_b, added=added)
    for name, fields in (added or {}).items():
        print(f"ADDS {name}: {', '.join(fields)}")
    for problem in problems:
        print(f"DIFFERS {problem}")
    print(f"{count} result files compared, {len(problems)} differ")
    return 1 if problems or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
