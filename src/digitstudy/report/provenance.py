"""Where the report's numbers came from: package versions, data sources with checksums,
the configuration and its seeds, the git commit, and measured runtime per rule."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from .tables import Table, count, read_json, seconds, yes_no

PACKAGES = (
    "snakemake tensorflow tensorflow-cpu keras numpy scipy pandas matplotlib scikit-learn opencv-python-headless h5py "
    "jinja2 latex2mathml jsonschema"
).split()


def package_versions(names: list[str] = PACKAGES) -> Table:
    rows = []
    for name in names:
        try:
            rows.append([name, metadata.version(name)])
        except metadata.PackageNotFoundError:
            continue  # e.g. tensorflow vs tensorflow-cpu: list what is installed
    title = "Python packages of the environment that rendered this report"
    return Table("provenance-packages", title, "importlib.metadata", ["package", "version"], rows)


def git_commit(directory: str | Path) -> str:
    """The checkout's commit, with '+ uncommitted changes' when the tree is dirty."""
    git = functools.partial(subprocess.run, cwd=directory, capture_output=True, text=True, check=True)
    try:
        head = git(["git", "rev-parse", "HEAD"])
        dirty = git(["git", "status", "--porcelain", "--untracked-files=no"])
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def data_sources(paths: list[str]) -> Table:
    rows = []
    for path in paths:
        p = read_json(path)
        dataset = [p["dataset"], p["source"], yes_no(p.get("available", True)), yes_no(p.get("stand_in"))]
        for f in p.get("files") or [{}]:
            checksum = next((f"{k} {f[k]}" for k in ("sha256", "md5") if k in f), "none recorded")
            rows.append([*dataset, f.get("name", "-"), checksum])
    columns, title = ["dataset", "source", "available", "stand-in", "file", "checksum"], "Data sources and checksums"
    stand_in = any(r[3] == "yes" for r in rows)
    return Table("provenance-data", title, ", ".join(paths), columns, rows, stand_in=stand_in, align=["l"] * 6)


def data_warnings(paths: list[str]) -> list[str]:
    return [f"{p['dataset']}: {w}" for p in map(read_json, paths) for w in p.get("warnings", [])]


def runtimes(benchmark_files: list[str]) -> Table:
    """Wall time and peak memory per rule, from Snakemake's benchmark files (benchmarks/<rule>/)."""
    by_rule: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(benchmark_files):
        by_rule.setdefault(Path(path).parent.name, []).append(pd.read_csv(path, sep="\t"))
    rows = []
    for rule, frames in sorted(by_rule.items()):
        f = pd.concat(frames)
        rows.append([rule, count(len(frames)), seconds(f.s.sum()), seconds(f.s.max()), f"{f.max_rss.max():,.0f}"])
    columns = ["rule", "jobs", "total wall s", "longest job s", "peak RSS MB"]
    title = "Measured runtime per rule (Snakemake benchmark files)"
    return Table("provenance-runtime", title, "benchmarks/", columns, rows)


def _seeds(node, prefix: str):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _seeds(value, f"{prefix}.{key}" if prefix else key)
    elif "seed" in prefix.rsplit(".", 1)[-1]:
        yield prefix, str(node)


def seeds(config: dict) -> list[tuple[str, str]]:
    """Every seed in the configuration, by key path."""
    return list(_seeds(config, ""))


def config_yaml(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100)
