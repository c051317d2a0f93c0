"""Which digits the recogniser learns from and which writers it is measured on. Every set goes
through the own-digit preprocessing first, so training, evaluation and grading see the same images.

MNIST train is always trained on, MNIST test always evaluated. USPS and Semeion are either trained
on (`train_sets`: the train or only split; a test split is evaluated) or held out entirely (every
split evaluated: writers the model never saw). Handwriting fonts are a training set like these;
left out of training they are evaluated, but not as "held out writers".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from ..data.arrays import Split
from ..data.sets import WRITERS_SETS
from .formats import format_variants
from .pen_digits import pen_digits
from .preprocess import to_mnist_geometry

log = logging.getLogger(__name__)

# 16x16 sets are enlarged before preprocessing so that strokes keep their shape.
UPSCALE = {"mnist": 1, "fonts": 1, "pen": 1, "usps": 4, "semeion": 4}
OTHER_SETS = ("fonts", *WRITERS_SETS)  # optional; trained on (train_sets) or held out
TRAIN_SET_ORDER = ("mnist", "fonts", "pen", *WRITERS_SETS)


@dataclass
class RecogniserData:
    train: Split  # each image once
    train_copies: np.ndarray  # how often each image is shown per epoch (sets other than MNIST: `repeats`)
    train_sources: list[str]
    evaluation: dict[str, Split]  # name -> preprocessed images and labels
    held_out_writers: list[str]
    missing_digit: dict[str, int] = field(default_factory=dict)  # images where no digit was found
    warnings: list[str] = field(default_factory=list)
    train_variants: np.ndarray | None = None  # train's images in other sets' formats (formats.format_variants)


def _convert(name: str, split: Split) -> tuple[Split, int]:
    images, found = to_mnist_geometry(split.images, UPSCALE[name])
    return Split(images, split.labels), int((~found).sum())


def _head(split: Split, limit: int | None) -> Split:
    return split if limit is None else Split(split.images[:limit], split.labels[:limit])


def _available(splits: dict, provenance: dict) -> tuple[dict[str, dict], list[str]]:
    """The sets whose download worked, and a warning for each other set that did not."""
    available = {
        name: splits[f"{name}_arrays"]
        for name in ("mnist", *OTHER_SETS)
        if f"{name}_arrays" in splits and provenance[f"{name}_provenance"].get("available", True)
    }
    warnings = [
        f"{name.upper()} unavailable: {'; '.join(provenance[f'{name}_provenance'].get('warnings', []))}"
        for name in OTHER_SETS
        if f"{name}_provenance" in provenance and not provenance[f"{name}_provenance"].get("available", True)
    ]
    for warning in warnings:
        log.warning(warning)
    return available, warnings


def assemble(
    splits: dict,
    provenance: dict,
    train_sets: list[str],
    repeats: int = 1,
    limit: int | None = None,
    seed: int = 0,
    pen_count: int = 0,
) -> RecogniserData:
    """`splits`/`provenance` are keyed "<dataset>_arrays" / "<dataset>_provenance". Sets other than
    MNIST and the pen digits are small and repeated `repeats` times per epoch (augmentation makes
    the copies differ; they are made after the validation split). `limit` keeps the first images of
    each training set (config key ex3.train_subset, applied here only). The training images are
    shuffled once with `seed`, and each gets a copy in another set's format. "pen" in `train_sets`
    adds `pen_count` pen digits (seeded by `seed`), each shown once per epoch."""
    available, warnings = _available(splits, provenance)
    missing, evaluation, held_out = {}, {}, []
    train_parts, train_copies, sources = [], [], []

    def add_training(label: str, split: Split, copies: int) -> None:
        keep = split.images.reshape(len(split.labels), -1).any(axis=1)  # drop images without a digit
        train_parts.append(Split(split.images[keep], split.labels[keep]))
        train_copies.append(np.full(int(keep.sum()), copies, np.int64))
        sources.append(label if copies == 1 else f"{label} (x{copies})")

    mnist_train, missing["mnist train"] = _convert("mnist", _head(available["mnist"]["train"], limit))
    add_training("mnist train", mnist_train, 1)
    evaluation["mnist test"], missing["mnist test"] = _convert("mnist", available["mnist"]["test"])
    for name in OTHER_SETS:
        if name not in available:
            continue
        for split_name, split in available[name].items():
            label = name if split_name == "all" else f"{name} {split_name}"
            trained = name in train_sets and split_name in ("train", "all")
            converted, missing[label] = _convert(name, _head(split, limit) if trained else split)
            if trained:
                add_training(label, converted, repeats)
            else:
                evaluation[label] = converted
                if name not in train_sets and name != "fonts":
                    held_out.append(label)
    if "pen" in train_sets and pen_count > 0:
        count = pen_count if limit is None else min(pen_count, limit)
        pen, missing["pen digits"] = _convert("pen", pen_digits(count, seed))
        add_training("pen digits", pen, 1)
    if not held_out:
        warnings.append("no set of other writers is held out: generalisation to new writers is not measured")
    train = Split(np.concatenate([p.images for p in train_parts]), np.concatenate([p.labels for p in train_parts]))
    copies = np.concatenate(train_copies)
    # Shuffle once: the validation split then draws from every source.
    order = np.random.default_rng(seed).permutation(len(train.labels))
    train = Split(train.images[order], train.labels[order])
    variants = format_variants(train.images, seed)[0]
    return RecogniserData(train, copies[order], sources, evaluation, held_out, missing, warnings, variants)


def assemble_for(section: dict, splits: dict, provenance: dict, train_sets: list[str]) -> RecogniserData:
    """assemble() with the settings of config section ex3."""
    keys = {"repeats": "extra_set_repeats", "limit": "train_subset", "seed": "seed", "pen_count": "pen_digits"}
    return assemble(splits, provenance, train_sets, **{argument: section[key] for argument, key in keys.items()})
