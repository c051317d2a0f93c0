"""Checksums of files, as data sources publish them (no network: see download.py)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # "sha256" or "md5", as published by the data's source
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm} {self.hexdigest}"


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def matches(path: str | os.PathLike, checksum: Checksum) -> bool:
    return file_digest(path, checksum.algorithm) == checksum.hexdigest.lower()
