"""Handwritten digits by writers other than MNIST's: USPS and Semeion (16x16).

Both are optional: with source "auto" a set that cannot be had is recorded as unavailable
(empty arrays, provenance says why) and the results that need it are skipped with a warning.
Images are stored like MNIST: uint8, white ink on black.
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
from sklearn.datasets import load_svmlight_file

from .arrays import Provenance, Split
from .checksums import Checksum, file_digest
from .download import DownloadError, download

log = logging.getLogger(__name__)

SOURCES = ("auto", "download")

_LIBSVM = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/"
USPS_URLS = {
    "train": (_LIBSVM + "usps.bz2", Checksum("md5", "ec16c51db3855ca6c91edd34d0e9b197")),
    "test": (_LIBSVM + "usps.t.bz2", Checksum("md5", "8ea070ee2aca1ac39742fdd1ef5ed118")),
}
# The widely redistributed HDF5 copy (Kaggle "USPS dataset"), accepted as a local file.
USPS_H5_SHA256 = "734f88c541104a956d88be2c95d03b4a463ffd74ccc2ba9c80841fb98e3fcb36"

SEMEION_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data"
SEMEION_CHECKSUM = Checksum("md5", "cb545d371d2ce14ec121470795a77432")
# A known copy with integer formatting (same pixels and labels), accepted as a local file.
SEMEION_KNOWN_SHA256 = {"0a0db68edc935e157425afd5f0dd927256b473a2e82262fd442cfde4c6e42c76"}


class DatasetFormatError(ValueError):
    pass


def _to_uint8(unit: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(unit, 0, 1) * 255).astype(np.uint8)


def read_usps_h5(path: str | Path) -> dict[str, Split]:
    splits = {}
    try:
        with h5py.File(path, "r") as handle:
            for name in ("train", "test"):
                data = np.asarray(handle[f"{name}/data"], np.float32)
                target = np.asarray(handle[f"{name}/target"])
                splits[name] = Split(_to_uint8(data.reshape(-1, 16, 16)), target)
    except (OSError, KeyError) as error:
        raise DatasetFormatError(
            f"{path} is not a USPS HDF5 file with train/data, train/target, test/data, test/target: {error}"
        ) from error
    return splits


def read_usps_libsvm(path: str | Path) -> Split:
    """LIBSVM's usps(.t).bz2: `label 1:v1 ... 256:v256`, labels 1-10 (digit + 1), v in [-1, 1]
    (an omitted feature is 0, as LIBSVM's sparse format says)."""
    try:
        features, labels = load_svmlight_file(str(path), n_features=256, zero_based=False)
    except ValueError as error:
        raise DatasetFormatError(f"{path}: not LIBSVM USPS format: {error}") from error
    unit = (features.toarray().reshape(-1, 16, 16) + 1) / 2
    return Split(_to_uint8(unit), labels.astype(np.int64) - 1)


def read_semeion(path: str | Path) -> Split:
    """Semeion: one digit a row, 256 binary pixels (ink = 1) then a one-hot label of 10."""
    try:
        table = np.loadtxt(path, dtype=np.float64)
    except ValueError as error:
        raise DatasetFormatError(f"{path} is not Semeion's text format: {error}") from error
    if table.ndim != 2 or table.shape[1] != 266:
        raise DatasetFormatError(f"{path}: expected 266 columns (256 pixels + 10 label), got {table.shape}")
    onehot = table[:, 256:]
    if not np.all(onehot.sum(axis=1) == 1):
        raise DatasetFormatError(f"{path}: every label must be one-hot")
    return Split(_to_uint8(table[:, :256].reshape(-1, 16, 16)), onehot.argmax(axis=1))


def unavailable(dataset: str, reason: str, splits: tuple[str, ...]) -> tuple[dict[str, Split], Provenance]:
    warning = f"{dataset.upper()} is unavailable and results that need it are skipped: {reason}"
    log.warning(warning)
    empty = {name: Split(np.zeros((0, 16, 16), np.uint8), np.zeros(0, np.int64)) for name in splits}
    return empty, Provenance(dataset, "unavailable", available=False, warnings=[warning])


def _check_source(key: str, source: str) -> Path | None:
    if source in SOURCES:
        return None
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(
            f"Config key `{key}` is {source!r}: not one of {', '.join(SOURCES)} and no such file or folder."
        )
    return path


def fetch_usps(source: str, raw_dir: str | Path):
    """USPS from a local usps.h5 or a folder with usps.bz2 / usps.t.bz2, else from LIBSVM."""
    raw_dir, key = Path(raw_dir), "writers.usps.source"
    local = _check_source(key, source)
    if local is not None:
        if local.is_dir():
            return _usps_from_libsvm({name: local / Path(url).name for name, (url, _) in USPS_URLS.items()}, "local")
        digest = file_digest(local)
        provenance = Provenance("usps", "local", files=[{"name": local.name, "path": str(local), "sha256": digest}])
        if digest != USPS_H5_SHA256:
            provenance.warnings.append(f"{local} is not the known usps.h5 (sha256 {USPS_H5_SHA256}); used as given.")
        return read_usps_h5(local), provenance
    try:
        paths = {
            name: download(url, raw_dir / Path(url).name, checksum, description=f"USPS {name}", config_key=key)
            for name, (url, checksum) in USPS_URLS.items()
        }
    except DownloadError as error:
        if source == "download":
            raise
        return unavailable("usps", str(error), ("train", "test"))
    return _usps_from_libsvm(paths, "download")


def _usps_from_libsvm(paths: dict[str, Path], origin: str):
    files = []
    for name, path in paths.items():
        if not path.is_file():
            raise FileNotFoundError(f"USPS: {path} is missing (expected usps.bz2 and usps.t.bz2 in that folder).")
        url, checksum = USPS_URLS[name]
        files.append({"name": path.name, "url": url, checksum.algorithm: file_digest(path, checksum.algorithm)})
    splits = {name: read_usps_libsvm(path) for name, path in paths.items()}
    return splits, Provenance("usps", origin, files=files)


def fetch_semeion(source: str, raw_dir: str | Path):
    raw_dir, key = Path(raw_dir), "writers.semeion.source"
    local = _check_source(key, source)
    if local is not None:
        path = local / "semeion.data" if local.is_dir() else local
        digest = file_digest(path)
        provenance = Provenance("semeion", "local", files=[{"name": path.name, "path": str(path), "sha256": digest}])
        if digest not in SEMEION_KNOWN_SHA256 and file_digest(path, "md5") != SEMEION_CHECKSUM.hexdigest:
            provenance.warnings.append(f"{path} is not a known copy of semeion.data; used as given.")
        return {"all": read_semeion(path)}, provenance
    try:
        path = download(SEMEION_URL, raw_dir / "semeion.data", SEMEION_CHECKSUM, description="Semeion", config_key=key)
    except DownloadError as error:
        if source == "download":
            raise
        return unavailable("semeion", str(error), ("all",))
    files = [{"name": "semeion.data", "url": SEMEION_URL, "md5": SEMEION_CHECKSUM.hexdigest}]
    return {"all": read_semeion(path)}, Provenance("semeion", "download", files=files)
