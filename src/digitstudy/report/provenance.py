"""Where the report's numbers came from: package versions, data sources with checksums,
the configuration and its seeds, the git commit, and measured runtime per rule."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from .tables import Table, count, read_json, seconds, yes_no

PACKAGES = [
    "snakemake",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "scikit-learn",
    "opencv-python-headless",
    "h5py",
    "jinja2",
    "latex2mathml",
    "jsonschema",
]


def package_versions(names: list[str] = PACKAGES) -> Table:
    rows = []
    for name in names:
        try:
            rows.append([name, metadata.version(name)])
        except metadata.PackageNotFoundError:
            continue  # e.g. tensorflow vs tensorflow-cpu: list what is installed
    return Table(
        "provenance-packages",
        "Python packages of the environment that rendered this report",
        "importlib.metadata",
        ["package", "version"],
        rows,
    )


def git_commit(directory: str | Path) -> str:
    """The checkout's commit, with '+ uncommitted changes' when the tree is dirty."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def data_sources(paths: list[str]) -> Table:
    rows = []
    for path in paths:
        p = read_json(path)
        files = p.get("files") or [{}]
        for f in files:
            checksum = next((f"{k} {f[k]}" for k in ("sha256", "md5") if k in f), "none recorded")
            rows.append(
                [
                    p["dataset"],
                    p["source"],
                    yes_no(p.get("available", True)),
                    yes_no(p.get("stand_in")),
                    f.get("name", "-"),
                    checksum,
                ]
            )
    return Table(
        "provenance-data",
        "Data sources and checksums",
        ", ".join(paths),
        ["dataset", "source", "available", "stand-in", "file", "checksum"],
        rows,
        stand_in=any(r[3] == "yes" for r in rows),
        align=["l"] * 6,
    )


def data_warnings(paths: list[str]) -> list[str]:
    warnings = []
    for path in paths:
        p = read_json(path)
        warnings.extend(f"{p['dataset']}: {w}" for w in p.get("warnings", []))
    return warnings


def runtimes(benchmark_files: list[str]) -> Table:
    """Wall time and peak memory per rule, from Snakemake's benchmark files (benchmarks/<rule>/)."""
    by_rule: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(benchmark_files):
        by_rule.setdefault(Path(path).parent.name, []).append(pd.read_csv(path, sep="\t"))
    rows = []
    for rule, frames in sorted(by_rule.items()):
        frame = pd.concat(frames)
        rows.append(
            [rule, count(len(frames)), seconds(frame.s.sum()), seconds(frame.s.max()), f"{frame.max_rss.max():,.0f}"]
        )
    return Table(
        "provenance-runtime",
        "Measured runtime per rule (Snakemake benchmark files)",
        "benchmarks/",
        ["rule", "jobs", "total wall s", "longest job s", "peak RSS MB"],
        rows,
    )


def seeds(config: dict) -> list[tuple[str, str]]:
    """Every seed in the configuration, by key path."""
    found = []

    def walk(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else key)
        elif "seed" in prefix.rsplit(".", 1)[-1]:
            found.append((prefix, str(node)))

    walk(config, "")
    return found


def config_yaml(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100)
