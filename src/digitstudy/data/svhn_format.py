"""SVHN's official cropped-digits `.mat` format (read and write), its published counts, and
the wording that marks results computed on the synthetic stand-in."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.io

from .arrays import Split
from .checksums import Checksum

OFFICIAL_FILES = {
    "train": ("train_32x32.mat", Checksum("md5", "e26dedcc434d2e4c54c9b2d4a06d8373")),
    "test": ("test_32x32.mat", Checksum("md5", "eb5a983be6a315427106f1b164d9cef3")),
}
# Published class counts of the official files (digit 0..9), used to give the stand-in
# SVHN's label imbalance.
OFFICIAL_CLASS_COUNTS = {
    "train": [4948, 13861, 10585, 8497, 7458, 6882, 5727, 5595, 5045, 4659],
    "test": [1744, 5099, 4149, 2882, 2523, 2384, 1977, 2019, 1660, 1595],
}
MAT_HEADER = "MATLAB 5.0 MAT-file, Platform: posix, Created by: digitstudy (SVHN schema)"
# What every result computed on the stand-in says: one label (figure banners, table and figure
# notes, the data column of result files) and what it means (logs, provenance, report).
STANDIN_LABEL = "SYNTHETIC STAND-IN, NOT REAL SVHN"
STANDIN_MEANING = "these results come from digits rendered from fonts, not from SVHN photographs"
STANDIN_WARNING = (
    f"{STANDIN_LABEL}: the official SVHN files could not be obtained, so every SVHN result is computed on "
    f"a synthetic stand-in: {STANDIN_MEANING}, and its accuracies are not comparable to published SVHN results."
)


class SvhnFormatError(ValueError):
    pass


def load_svhn_mat(path: str | os.PathLike) -> Split:
    """Read an official-format SVHN .mat file into N x 32 x 32 x 3 uint8 images, labels 0-9."""
    try:
        content = scipy.io.loadmat(path)
    except Exception as error:  # scipy raises several types for a non-.mat file
        raise SvhnFormatError(f"{path} is not a readable MATLAB .mat file: {error}") from error
    if "X" not in content or "y" not in content:
        raise SvhnFormatError(f"{path} lacks the SVHN variables 'X' and 'y'")
    images, labels = content["X"], content["y"]
    if images.ndim != 4 or images.shape[:3] != (32, 32, 3) or images.dtype != np.uint8:
        raise SvhnFormatError(f"{path}: X must be uint8 (32, 32, 3, N), got {images.dtype} {images.shape}")
    labels = labels.reshape(-1).astype(np.int64)
    if labels.size != images.shape[3]:
        raise SvhnFormatError(f"{path}: {images.shape[3]} images but {labels.size} labels")
    if labels.size and (labels.min() < 1 or labels.max() > 10):
        raise SvhnFormatError(f"{path}: labels must lie in 1..10 (10 = digit 0)")
    labels[labels == 10] = 0
    return Split(np.transpose(images, (3, 0, 1, 2)), labels)


def write_svhn_mat(path: str | os.PathLike, split: Split) -> None:
    """Write images/labels in exactly the official schema (labels 1-10, 10 for 0)."""
    labels = split.labels.astype(np.uint8).reshape(-1, 1)
    labels[labels == 0] = 10
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as handle:
        scipy.io.savemat(handle, {"X": np.transpose(split.images, (1, 2, 3, 0)), "y": labels}, do_compression=True)
    # scipy stamps the creation time into the 116-byte text header; a fixed header makes the
    # file a pure function of its arrays (byte-identical reruns).
    with open(temporary, "r+b") as handle:
        handle.write(MAT_HEADER.ljust(116).encode("ascii"))
    os.replace(temporary, path)
