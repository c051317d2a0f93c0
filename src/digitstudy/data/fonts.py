"""Digits drawn in handwriting fonts: the styles of writers MNIST lacks, available offline.

MNIST's writers were American; many of the world's write a 1 with a long up-stroke, a 7 with a
bar, a closed 4. Google Fonts carries handwriting families under open licences (OFL, Apache),
among them the Playwrite and Edu families, which model the school handwriting of some fifty
countries. Each font is fetched once with its checksum: the .woff file from jsDelivr's copy of
the npm package, else the package's tarball from the npm registry (checked against npm's own
published integrity), or taken from a local folder. Every font draws each digit at several
stroke weights; training then varies them further (augmentation).
"""

from __future__ import annotations

import base64
import logging
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .arrays import Provenance, Split
from .checksums import Checksum, file_digest
from .download import DownloadError, download

log = logging.getLogger(__name__)

SOURCES = ("auto", "download")
FILE_URL = "https://cdn.jsdelivr.net/npm/@fontsource/{name}@{version}/files/{file}"
TARBALL_URL = "https://registry.npmjs.org/@fontsource/{name}/-/{name}-{version}.tgz"
DOWNLOAD_THREADS = 8
CANVAS = 64  # side of each rendered digit, white on black
FONT_PIXELS = 48
STROKE_WIDTHS = (0, 1, 2)  # pixels added around the outline at FONT_PIXELS


@dataclass(frozen=True)
class Font:
    name: str
    version: str
    licence: str
    sha256: str  # of the .woff file
    integrity: str  # npm's "sha512-<base64>" of the package tarball

    @property
    def file(self) -> str:
        return f"{self.name}-latin-400-normal.woff"

    @property
    def tarball_checksum(self) -> Checksum:
        algorithm, encoded = self.integrity.split("-", 1)
        return Checksum(algorithm, base64.b64decode(encoded).hex())


def font_table() -> list[Font]:
    """The fonts this package knows, with their checksums (package data, one per line)."""
    text = resources.files("digitstudy.data").joinpath("handwriting_fonts.tsv").read_text()
    return [Font(*line.split("\t")) for line in text.splitlines() if line and not line.startswith("#")]


def _download(url: str, path: Path, checksum: Checksum, what: str, **kw) -> Path:
    return download(url, path, checksum, description=f"font {what}", config_key="fonts.source", progress=False, **kw)


def _from_tarball(font: Font, raw_dir: Path) -> Path:
    """The .woff out of the npm tarball, checked twice: the tarball against npm's integrity, the
    file against its own sha256."""
    url = TARBALL_URL.format(name=font.name, version=font.version)
    tarball = raw_dir / f"{font.name}-{font.version}.tgz"
    tarball = _download(url, tarball, font.tarball_checksum, f"{font.name} (npm package)")
    with tarfile.open(tarball) as archive:
        data = archive.extractfile(f"package/files/{font.file}").read()
    destination = raw_dir / font.file
    destination.write_bytes(data)
    if file_digest(destination) != font.sha256:
        destination.unlink()
        raise DownloadError(f"font {font.name}: {font.file} in {url} does not have sha256 {font.sha256}.")
    tarball.unlink()
    return destination


def fetch_font(font: Font, raw_dir: Path) -> tuple[Path, str]:
    """(path of the .woff, the URL it came from); raises DownloadError when no source serves it."""
    url = FILE_URL.format(name=font.name, version=font.version, file=font.file)
    try:
        return _download(url, raw_dir / font.file, Checksum("sha256", font.sha256), font.name, timeout=20), url
    except DownloadError as first:
        try:
            return _from_tarball(font, raw_dir), TARBALL_URL.format(name=font.name, version=font.version)
        except (DownloadError, KeyError, tarfile.TarError) as second:
            raise DownloadError(f"{first} Mirror: {second}") from second


def _fetch_all(fonts: list[Font], raw_dir: Path) -> list:
    """fetch_font for each font, DOWNLOAD_THREADS at a time (small files: the time is the round
    trip): (path, url) or the DownloadError, in the table's order."""

    def one(font):
        try:
            return fetch_font(font, raw_dir)
        except DownloadError as error:
            return error

    with ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS) as pool:
        return list(pool.map(one, fonts))


def fetch_fonts(source: str, raw_dir: str | Path) -> tuple[dict[str, Path], Provenance]:
    """Every known font from `source`: auto (download; fonts that cannot be had are skipped with a
    warning, none at all makes the set unavailable), download (any failure is an error), or a
    folder holding the .woff files (checked against their sha256; a different file is used with a
    warning, a missing one skipped with a warning)."""
    raw_dir = Path(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)
    local = None if source in SOURCES else Path(source)
    if local is not None and not local.is_dir():
        raise FileNotFoundError(
            f"Config key `fonts.source` is {source!r}: not one of {', '.join(SOURCES)} and no such folder."
        )
    paths, files, warnings, absent = {}, [], [], []
    fonts = font_table()
    fetched = _fetch_all(fonts, raw_dir) if local is None else [(local / font.file, None) for font in fonts]
    for font, outcome in zip(fonts, fetched):
        if isinstance(outcome, DownloadError):
            if source == "download":
                raise outcome
            warnings.append(str(outcome))
            continue
        path, url = outcome
        if local is not None and not path.is_file():
            absent.append(font.name)
            continue
        digest = file_digest(path)
        if digest != font.sha256:
            warnings.append(f"{path} is not the known {font.file} (sha256 {font.sha256}); used as given.")
        paths[font.name] = path
        files.append({"name": font.file, "url": url, "path": str(path), "sha256": digest, "licence": font.licence})
    if absent:
        warnings.append(
            f"{len(absent)} of the {len(absent) + len(paths)} known fonts are not in {local}: {', '.join(absent)}."
        )
    for warning in warnings:
        log.warning(warning)
    if not paths:
        warnings.insert(0, "FONTS are unavailable and results that need them are skipped: no font could be had.")
    origin = "unavailable" if not paths else "download" if local is None else "local"
    return paths, Provenance("fonts", origin, files=files, warnings=warnings, available=bool(paths))


def render_digit(path: str | Path, digit: int, stroke: int) -> np.ndarray:
    """One digit in one font, white on black, fitted into CANVAS x CANVAS keeping its aspect."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(path), FONT_PIXELS)
    image = Image.new("L", (3 * FONT_PIXELS, 3 * FONT_PIXELS), 0)
    ImageDraw.Draw(image).text(
        (FONT_PIXELS, FONT_PIXELS // 2), str(digit), font=font, fill=255, stroke_width=stroke, stroke_fill=255
    )
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    box = image.getbbox()  # of the ink; None when the font draws none
    if box is None:
        return canvas
    crop = np.asarray(image.crop(box))
    scale = (CANVAS - 8) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    glyph = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    top, left = (CANVAS - size[1]) // 2, (CANVAS - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = glyph
    return canvas


def render_fonts(paths: dict[str, Path]) -> dict[str, Split]:
    """Split "all": every font x digit x stroke width, in the order of `paths`, then digit, then
    stroke (deterministic). A font that draws no ink for a digit contributes nothing for it."""
    images, labels = [], []
    for path in paths.values():
        for digit in range(10):
            for stroke in STROKE_WIDTHS:
                image = render_digit(path, digit, stroke)
                if image.any():
                    images.append(image)
                    labels.append(digit)
    return {"all": Split(np.array(images, np.uint8).reshape(-1, CANVAS, CANVAS), labels)}
