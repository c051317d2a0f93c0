"""A synthetic, clearly labelled stand-in for SVHN, written in the official .mat schema.

Real SVHN cannot be downloaded on every machine this workflow runs on. The stand-in renders
house-number-like 32x32 crops: a centred digit in one of several fonts and stroke weights,
varied colours and contrast, gradient or textured backgrounds, partly visible neighbouring
digits at the left and right edges, small rotation, scale and shift, blur and sensor noise.
Labels follow SVHN's published class imbalance. Every image is drawn from its own seeded
generator, so the output is identical for a seed whatever the number of worker processes.
"""

from __future__ import annotations

import colorsys
import functools
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .arrays import Provenance, Split
from .checksums import file_digest
from .svhn_format import OFFICIAL_CLASS_COUNTS, OFFICIAL_FILES, STANDIN_WARNING, write_svhn_mat

SIZE = 32
SCALE = 2  # render at 2x and downsample, for anti-aliased strokes
CANVAS = SIZE * SCALE
SPLIT_CODES = {"train": 1, "test": 2}
CHUNK = 2048

# Fonts that ship with matplotlib, so the stand-in is identical on every machine with the
# pinned matplotlib. Users may add more folders of TTFs (config: svhn.standin.extra_font_dirs).
BUNDLED_FONTS = (
    "DejaVuSans.ttf DejaVuSans-Bold.ttf DejaVuSans-Oblique.ttf DejaVuSans-BoldOblique.ttf DejaVuSansMono.ttf "
    "DejaVuSansMono-Bold.ttf DejaVuSerif.ttf DejaVuSerif-Bold.ttf DejaVuSerif-Italic.ttf STIXGeneral.ttf "
    "STIXGeneralBol.ttf STIXGeneralItalic.ttf cmr10.ttf cmss10.ttf cmb10.ttf cmtt10.ttf"
).split()


def renders_all_digits(path: str) -> bool:
    """Some TTFs (symbol or display subsets) lack digits and would draw blank crops."""
    try:
        font = ImageFont.truetype(path, 24)
    except OSError:
        return False
    for digit in "0123456789":
        image = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(image).text((8, 4), digit, font=font, fill=255)
        if not np.asarray(image).any():
            return False
    return True


def font_paths(extra_font_dirs: list[str] | tuple[str, ...] = ()) -> list[str]:
    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    paths = [str(bundled / name) for name in BUNDLED_FONTS if (bundled / name).is_file()]
    for directory in extra_font_dirs:
        paths.extend(sorted(str(p) for p in Path(directory).rglob("*.ttf")))
    paths = [path for path in paths if renders_all_digits(path)]
    if not paths:
        raise FileNotFoundError("no TrueType fonts that draw all ten digits were found for the SVHN stand-in")
    return paths


@functools.lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _luminance(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def _natural_colour(rng: np.random.Generator) -> np.ndarray:
    """Mostly muted colours, as on walls, plates and signs; now and then a saturated one."""
    hue, saturation, value = rng.uniform(0, 1), rng.beta(1.3, 3.0), rng.uniform(0.05, 0.97)
    return np.asarray(colorsys.hsv_to_rgb(hue, saturation, value))


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Background and ink colours whose luminance differs by a random, sometimes small, contrast."""
    background = _natural_colour(rng)
    contrast = rng.uniform(0.2, 0.75)
    for _ in range(20):
        ink = _natural_colour(rng)
        if abs(_luminance(ink) - _luminance(background)) >= contrast:
            return background, ink
    # No random colour was far enough: take a grey on the far side of the background.
    target = 0.0 if _luminance(background) > 0.5 else 1.0
    return background, np.full(3, target) * 0.85 + background * 0.15


def _background(rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    image = np.broadcast_to(base, (CANVAS, CANVAS, 3)).astype(np.float32)
    kind = rng.integers(3)
    if kind in (0, 2):  # linear gradient, as from uneven lighting
        angle = rng.uniform(0, 2 * np.pi)
        line = np.linspace(-0.5, 0.5, CANVAS)
        ramp = np.cos(angle) * line[None, :] + np.sin(angle) * line[:, None]
        image = image + (rng.uniform(0.05, 0.45) * ramp)[..., None].astype(np.float32)
    if kind in (1, 2):  # low-frequency texture (brick, plaster, wood-like blotches)
        cells = int(rng.integers(3, 10))
        grid = rng.normal(0, rng.uniform(0.02, 0.09), (cells, cells, 3)).astype(np.float32)
        image = image + cv2.resize(grid, (CANVAS, CANVAS), interpolation=cv2.INTER_CUBIC)
    return image


def _digit_mask(rng: np.random.Generator, label: int, fonts: list[str]) -> np.ndarray:
    """Ink coverage in [0, 1] of the centred digit and its partly visible neighbours."""
    font = _font(fonts[rng.integers(len(fonts))], int(rng.uniform(34, 58)))
    ink = {"fill": 255, "font": font, "stroke_width": int(rng.choice([0, 0, 0, 1, 2])), "stroke_fill": 255}
    width, height = CANVAS * 3, CANVAS * 2
    layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = draw.textbbox((0, 0), str(label), font=font)
    centre_x, centre_y = width / 2, height / 2
    origin_y = centre_y - (bottom - top) / 2 - top
    draw.text((centre_x - (right - left) / 2 - left, origin_y), str(label), **ink)
    gap = rng.uniform(0.04, 0.35) * font.size
    for side in ("left", "right"):
        if rng.random() < 0.75:
            neighbour = str(rng.integers(10))
            n_left, _, n_right, _ = draw.textbbox((0, 0), neighbour, font=font)
            if side == "left":
                x = centre_x - (right - left) / 2 - gap - (n_right - n_left)
            else:
                x = centre_x + (right - left) / 2 + gap
            draw.text((x - n_left, origin_y), neighbour, **ink)
    angle = rng.uniform(-12, 12)
    scale = rng.uniform(0.8, 1.1)
    shift = rng.uniform(-0.08, 0.08, 2) * CANVAS
    matrix = cv2.getRotationMatrix2D((centre_x, centre_y), angle, scale)
    matrix[:, 2] += np.array([CANVAS / 2, CANVAS / 2]) + shift - np.array([centre_x, centre_y])
    mask = cv2.warpAffine(np.asarray(layer, np.float32) / 255.0, matrix, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR)
    return np.clip(mask, 0, 1)


def render_crop(seed: int, split: str, index: int, label: int, fonts: list[str]) -> np.ndarray:
    """One 32x32x3 uint8 crop; depends only on (seed, split, index, label, fonts)."""
    rng = np.random.default_rng([seed, SPLIT_CODES[split], index])
    background, ink = _colours(rng)
    image = _background(rng, background)
    mask = _digit_mask(rng, label, fonts)[..., None]
    image = image * (1 - mask) + ink.astype(np.float32) * mask
    image = cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    image = cv2.GaussianBlur(image, (0, 0), sigmaX=rng.uniform(0.2, 1.1))
    image = image + rng.normal(0, rng.uniform(0.005, 0.04), image.shape).astype(np.float32)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def standin_labels(seed: int, split: str, count: int) -> np.ndarray:
    counts = np.asarray(OFFICIAL_CLASS_COUNTS[split], float)
    rng = np.random.default_rng([seed, SPLIT_CODES[split]])
    return rng.choice(10, size=count, p=counts / counts.sum())


def _render_chunk(args) -> np.ndarray:
    seed, split, start, labels, fonts = args
    return np.stack([render_crop(seed, split, start + i, int(label), fonts) for i, label in enumerate(labels)])


def render_split(seed: int, split: str, count: int, fonts: list[str], threads: int = 1) -> Split:
    labels = standin_labels(seed, split, count)
    jobs = [(seed, split, start, labels[start : start + CHUNK], fonts) for start in range(0, count, CHUNK)]
    if threads > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=threads) as pool:
            chunks = list(pool.map(_render_chunk, jobs))
    else:
        chunks = [_render_chunk(job) for job in jobs]
    images = np.concatenate(chunks) if chunks else np.zeros((0, SIZE, SIZE, 3), np.uint8)
    return Split(images, labels)


def generate_standin_mat(
    out_dir: str | os.PathLike,
    *,
    seed: int,
    train_size: int,
    test_size: int,
    extra_font_dirs: list[str] | tuple[str, ...] = (),
    threads: int = 1,
) -> Provenance:
    """Write train_32x32.mat and test_32x32.mat of the stand-in into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fonts = font_paths(extra_font_dirs)
    files = []
    for split, count in (("train", train_size), ("test", test_size)):
        name = OFFICIAL_FILES[split][0]
        write_svhn_mat(out_dir / name, render_split(seed, split, count, fonts, threads))
        files.append({"name": name, "generated": True, "sha256": file_digest(out_dir / name)})
    parameters = {
        "seed": seed,
        "train_size": train_size,
        "test_size": test_size,
        "fonts": [Path(f).name for f in fonts],
    }
    return Provenance(
        "svhn", "synthetic", stand_in=True, files=files, warnings=[STANDIN_WARNING], parameters=parameters
    )
