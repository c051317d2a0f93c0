"""SVHN in its official cropped-digits `.mat` format, from a download, a folder or the stand-in.

Official schema (http://ufldl.stanford.edu/housenumbers/): `X` is uint8 (32, 32, 3, N) and
`y` is (N, 1) with labels 1-10, where 10 stands for the digit 0.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import scipy.io

from .arrays import Provenance, Split
from .download import Checksum, DownloadError, download, file_digest, matches

log = logging.getLogger(__name__)

BASE_URL = "http://ufldl.stanford.edu/housenumbers/"
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
SOURCES = ("auto", "download", "synthetic")
STANDIN_WARNING = (
    "SVHN STAND-IN: the official SVHN files could not be obtained, so every SVHN result is "
    "computed on a synthetic stand-in rendered from fonts. It is NOT the Street View House "
    "Numbers data set and its accuracies are not comparable to published SVHN results."
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
        raise SvhnFormatError(
            f"{path}: X must be uint8 (32, 32, 3, N), got {images.dtype} {images.shape}"
        )
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
        scipy.io.savemat(
            handle, {"X": np.transpose(split.images, (1, 2, 3, 0)), "y": labels}, do_compression=True
        )
    # scipy stamps the creation time into the 116-byte text header; a fixed header makes the
    # file a pure function of its arrays (byte-identical reruns).
    with open(temporary, "r+b") as handle:
        handle.write(MAT_HEADER.ljust(116).encode("ascii"))
    os.replace(temporary, path)


def _install(source: Path, destination: Path) -> None:
    """Hard-link when possible (the files are 60-180 MB), else copy."""
    destination.unlink(missing_ok=True)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def official_files_in(directory: Path) -> bool:
    return all((directory / name).is_file() for name, _ in OFFICIAL_FILES.values())


def copy_official(directory: Path, out_dir: Path, *, strict: bool) -> list[dict]:
    files = []
    for name, checksum in OFFICIAL_FILES.values():
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(
                f"SVHN: {path} does not exist. The folder named by `svhn.source` must hold "
                f"{' and '.join(n for n, _ in OFFICIAL_FILES.values())} from {BASE_URL}."
            )
        if not matches(path, checksum):
            message = (
                f"SVHN: {path} does not have the official {checksum}; it is corrupt or not "
                f"the official file. Download it again from {BASE_URL}{name}."
            )
            if strict:
                raise DownloadError(message)
            log.warning(message)
        _install(path, out_dir / name)
        files.append({"name": name, "path": str(path), checksum.algorithm: file_digest(path, checksum.algorithm)})
    return files


def download_official(cache_dir: Path, out_dir: Path, base_url: str = BASE_URL) -> list[dict]:
    files = []
    for name, checksum in OFFICIAL_FILES.values():
        path = download(
            base_url + name,
            cache_dir / name,
            checksum,
            description=f"SVHN {name}",
            config_key="svhn.source (a folder holding both official files)",
        )
        _install(path, out_dir / name)
        files.append({"name": name, "url": base_url + name, checksum.algorithm: checksum.hexdigest})
    return files


def obtain_svhn_mat(
    source: str,
    out_dir: str | os.PathLike,
    cache_dir: str | os.PathLike,
    standin: dict,
    threads: int = 1,
    base_url: str = BASE_URL,
) -> Provenance:
    """Put train_32x32.mat and test_32x32.mat into `out_dir` and say where they came from.

    source: "auto" (files already in `cache_dir`, else download, else the stand-in with a
    loud warning), "download" (an error if it fails), "synthetic", or a folder holding the
    official files.
    """
    from .svhn_standin import generate_standin_mat  # fonts and rendering only when needed

    out_dir, cache_dir = Path(out_dir), Path(cache_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if source not in SOURCES:
        directory = Path(source)
        if not directory.is_dir():
            raise FileNotFoundError(
                f"Config key `svhn.source` is {source!r}: not one of {', '.join(SOURCES)} and "
                f"not an existing folder."
            )
        return Provenance("svhn", "local", files=copy_official(directory, out_dir, strict=True))
    if source == "auto" and official_files_in(cache_dir):
        return Provenance("svhn", "local", files=copy_official(cache_dir, out_dir, strict=True))
    failure = None
    if source in ("auto", "download"):
        try:
            return Provenance("svhn", "download", files=download_official(cache_dir, out_dir, base_url))
        except DownloadError as error:
            if source == "download":
                raise
            failure = str(error)
    provenance = generate_standin_mat(out_dir, threads=threads, **standin)
    if failure:
        provenance.warnings.append(f"official download failed: {failure}")
        log.warning("%s Reason: %s", STANDIN_WARNING, failure)
    return provenance
