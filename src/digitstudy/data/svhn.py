"""SVHN in its official cropped-digits `.mat` format, from a download, a folder or the stand-in.

Official schema (http://ufldl.stanford.edu/housenumbers/): `X` is uint8 (32, 32, 3, N) and
`y` is (N, 1) with labels 1-10, where 10 stands for the digit 0.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from .arrays import Provenance
from .checksums import file_digest, matches
from .download import DownloadError, download
from .svhn_format import OFFICIAL_FILES, STANDIN_WARNING

log = logging.getLogger(__name__)

BASE_URL = "http://ufldl.stanford.edu/housenumbers/"
SOURCES = ("auto", "download", "synthetic")


def _install(source: Path, destination: Path) -> None:
    """Hard-link when possible (the files are 60-180 MB), else copy."""
    destination.unlink(missing_ok=True)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def copy_official(directory: Path, out_dir: Path) -> list[dict]:
    files = []
    for name, checksum in OFFICIAL_FILES.values():
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(
                f"SVHN: {path} does not exist. The folder named by `svhn.source` must hold "
                f"{' and '.join(n for n, _ in OFFICIAL_FILES.values())} from {BASE_URL}."
            )
        if not matches(path, checksum):
            raise DownloadError(
                f"SVHN: {path} does not have the official {checksum}; it is corrupt or not "
                f"the official file. Download it again from {BASE_URL}{name}."
            )
        _install(path, out_dir / name)
        files.append({"name": name, "path": str(path), checksum.algorithm: file_digest(path, checksum.algorithm)})
    return files


def download_official(cache_dir: Path, out_dir: Path, base_url: str = BASE_URL) -> list[dict]:
    files, key = [], "svhn.source (a folder holding both official files)"
    for name, checksum in OFFICIAL_FILES.values():
        path = download(base_url + name, cache_dir / name, checksum, description=f"SVHN {name}", config_key=key)
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
                f"Config key `svhn.source` is {source!r}: not one of {', '.join(SOURCES)} and not an existing folder."
            )
        return Provenance("svhn", "local", files=copy_official(directory, out_dir))
    if source == "auto" and all((cache_dir / name).is_file() for name, _ in OFFICIAL_FILES.values()):
        return Provenance("svhn", "local", files=copy_official(cache_dir, out_dir))
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
