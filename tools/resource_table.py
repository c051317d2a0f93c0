"""The README's resource table, measured: per rule, the jobs, their wall time (longest and in
all) and the peak resident memory, read from a run's Snakemake benchmark files
(benchmarks/<rule>/*.tsv).

    python tools/resource_table.py benchmarks
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def resource_table(benchmarks: str | Path) -> pd.DataFrame:
    rows = []
    for folder in sorted(p for p in Path(benchmarks).iterdir() if p.is_dir()):
        runs = pd.concat([pd.read_csv(tsv, sep="\t") for tsv in sorted(folder.glob("*.tsv"))], ignore_index=True)
        rows.append(
            {
                "rule": folder.name,
                "jobs": len(runs),
                "longest_s": runs.s.max(),
                "all_s": runs.s.sum(),
                "peak_rss_mb": runs.max_rss.max(),
            }
        )
    if not rows:
        raise SystemExit(f"no benchmark files under {benchmarks}/<rule>/*.tsv")
    return pd.DataFrame(rows).set_index("rule").sort_values("all_s", ascending=False).round(1)


if __name__ == "__main__":
    print(resource_table(sys.argv[1] if len(sys.argv) > 1 else "benchmarks").to_markdown())
