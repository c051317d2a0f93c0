"""The one on-disk format every dataset lands in, and its provenance record.

A dataset is an `.npz` with `x_<split>` (uint8 images, N x H x W or N x H x W x C) and
`y_<split>` (int64 labels 0-9) per split, next to `provenance.json`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

NUM_CLASSES = 10
# Largest uint8 pixel value: networks see pixels / PIXEL_MAX, in [0, 1].
PIXEL_MAX = 255.0
_Path = str | os.PathLike


def unit_scale(images: np.ndarray) -> np.ndarray:
    """uint8 pixels as float32 in [0, 1], what every network here takes as input."""
    return images.astype(np.float32) / PIXEL_MAX


@dataclass
class Split:
    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        self.images = np.ascontiguousarray(self.images)
        self.labels = np.ascontiguousarray(self.labels).astype(np.int64).reshape(-1)
        if self.images.dtype != np.uint8:
            raise ValueError(f"images must be uint8, got {self.images.dtype}")
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= NUM_CLASSES):
            raise ValueError(f"labels must lie in 0..{NUM_CLASSES - 1}")

    def class_counts(self) -> list[int]:
        return np.bincount(self.labels, minlength=NUM_CLASSES).tolist()

    def content_sha256(self) -> str:
        """A hash of the arrays themselves: npz bytes carry timestamps, the arrays don't."""
        digest = hashlib.sha256()
        for array in (self.images, self.labels):
            digest.update(str((array.dtype.str, array.shape)).encode())
            digest.update(array.tobytes())
        return digest.hexdigest()


def save_splits(path: _Path, splits: dict[str, Split]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part.npz")
    arrays = {f"{xy}_{name}": a for name, s in splits.items() for xy, a in (("x", s.images), ("y", s.labels))}
    np.savez(temporary, **arrays)
    os.replace(temporary, path)


def load_splits(path: _Path) -> dict[str, Split]:
    with np.load(path, allow_pickle=False) as archive:
        names = sorted(key[2:] for key in archive.files if key.startswith("x_"))
        return {name: Split(archive[f"x_{name}"], archive[f"y_{name}"]) for name in names}


@dataclass
class Provenance:
    """Where a dataset came from, written next to it as provenance.json."""

    dataset: str
    source: str  # download | pypi-mirror | local | synthetic | unavailable
    stand_in: bool = False
    available: bool = True
    files: list[dict] = field(default_factory=list)  # name, url or path, checksum(s)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)

    def to_dict(self, splits: dict[str, Split]) -> dict:
        return {
            "dataset": self.dataset,
            "available": self.available,
            "stand_in": self.stand_in,
            "source": self.source,
            "files": self.files,
            "splits": {
                name: {
                    "count": len(split.labels),
                    "image_shape": list(split.images.shape[1:]),
                    "class_counts": split.class_counts(),
                    "arrays_sha256": split.content_sha256(),
                }
                for name, split in splits.items()
            },
            "parameters": self.parameters,
            "warnings": self.warnings,
            "notes": self.notes,
            "retrieved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }


def write_dataset(array_path: _Path, provenance_path: _Path, splits: dict[str, Split], provenance: Provenance) -> dict:
    save_splits(array_path, splits)
    record = provenance.to_dict(splits)
    Path(provenance_path).write_text(json.dumps(record, indent=2) + "\n")
    return record


def read_provenance(path: _Path) -> dict:
    return json.loads(Path(path).read_text())


def read_datasets(paths: dict) -> tuple[dict[str, dict[str, Split]], dict[str, dict]]:
    """Rule inputs named `<set>_arrays` and `<set>_provenance` -> ({name: splits}, {name: provenance}),
    keyed by the input names."""
    splits = {name: load_splits(path) for name, path in paths.items() if name.endswith("_arrays")}
    return splits, {name: read_provenance(path) for name, path in paths.items() if name.endswith("_provenance")}
