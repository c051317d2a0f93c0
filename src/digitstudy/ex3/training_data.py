"""Which digits the recogniser learns from and which writers it is measured on.

Every set goes through the own-digit preprocessing first, so training, evaluation,
prediction and grading all see images made the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from ..data.arrays import Split
from .recogniser import to_mnist_geometry

log = logging.getLogger(__name__)

# 16x16 sets are enlarged before preprocessing so that strokes keep their shape.
UPSCALE = {"mnist": 1, "usps": 4, "semeion": 4}


@dataclass
class RecogniserData:
    train: Split
    train_sources: list[str]
    evaluation: dict[str, Split]  # name -> preprocessed images and labels
    held_out_writers: list[str]
    missing_digit: dict[str, int] = field(default_factory=dict)  # images where no digit was found
    warnings: list[str] = field(default_factory=list)


def _convert(name: str, split: Split, workers: int) -> tuple[Split, int]:
    images, found = to_mnist_geometry(split.images, UPSCALE[name], workers)
    return Split(images, split.labels), int((~found).sum())


def _head(split: Split, limit: int | None) -> Split:
    return split if limit is None else Split(split.images[:limit], split.labels[:limit])


def assemble(splits: dict, provenance: dict, train_on_usps: bool, workers: int = 1, limit: int | None = None) -> RecogniserData:
    """`splits`/`provenance` are keyed "<dataset>_arrays" / "<dataset>_provenance".
    `limit` keeps only the first images of each training set (quick tests)."""
    available = {
        name: splits[f"{name}_arrays"]
        for name in ("mnist", "usps", "semeion")
        if f"{name}_arrays" in splits and provenance[f"{name}_provenance"].get("available", True)
    }
    warnings = [
        f"{name.upper()} unavailable: {'; '.join(provenance[f'{name}_provenance'].get('warnings', []))}"
        for name in ("usps", "semeion")
        if f"{name}_provenance" in provenance and not provenance[f"{name}_provenance"].get("available", True)
    ]
    for warning in warnings:
        log.warning(warning)
    missing = {}
    train_parts, sources = [], []
    mnist_train, missing["mnist train"] = _convert("mnist", _head(available["mnist"]["train"], limit), workers)
    found = mnist_train.images.reshape(len(mnist_train.labels), -1).any(axis=1)
    train_parts.append(Split(mnist_train.images[found], mnist_train.labels[found]))
    sources.append("mnist train")
    evaluation = {}
    evaluation["mnist test"], missing["mnist test"] = _convert("mnist", available["mnist"]["test"], workers)
    held_out = []
    if "usps" in available:
        usps_train, missing["usps train"] = _convert("usps", _head(available["usps"]["train"], limit), workers)
        if train_on_usps:
            keep = usps_train.images.reshape(len(usps_train.labels), -1).any(axis=1)
            train_parts.append(Split(usps_train.images[keep], usps_train.labels[keep]))
            sources.append("usps train")
        else:
            evaluation["usps train"] = usps_train
            held_out.append("usps train")
        evaluation["usps test"], missing["usps test"] = _convert("usps", available["usps"]["test"], workers)
        held_out.append("usps test")
    if "semeion" in available:
        evaluation["semeion"], missing["semeion"] = _convert("semeion", available["semeion"]["all"], workers)
        held_out.append("semeion")
    if not held_out:
        warnings.append("no set of other writers is available: generalisation is not measured")
    train = Split(np.concatenate([p.images for p in train_parts]), np.concatenate([p.labels for p in train_parts]))
    # Shuffle once so that a train_subset draws from every source.
    order = np.random.default_rng(0).permutation(len(train.labels))
    return RecogniserData(Split(train.images[order], train.labels[order]), sources, evaluation, held_out, missing, warnings)
