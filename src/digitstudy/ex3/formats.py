"""The formats other digit sets come in, made from any digit, and images that are no digit.

Semeion stretched each digit to fill 16x16 and thresholded it; USPS shrank them to 16x16 grey. A
network that has seen only MNIST's geometry meets those as unfamiliar shapes (a stretched 1 is a
slab). `format_variants` makes such a copy of every training digit, back in MNIST's geometry;
training sometimes shows it instead of the original. `non_digits` draws what the preprocessing
hands on from a photo without a digit (stains, shadow edges, grid fragments, noise); training asks
for equal probabilities on them, so that such an input is flagged unsure.
"""

from __future__ import annotations

import cv2
import numpy as np

from .preprocess import to_mnist

LOW_RESOLUTION = 16  # side of Semeion's and USPS's images
UPSCALE = 4  # as the training data reads the 16x16 sets (training_data.UPSCALE)
FORMATS = ("stretched binary", "low resolution")


def _crop(image: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(image > 32)
    return image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(ys) else None


def stretched_binary(image: np.ndarray, threshold: float) -> np.ndarray:
    """Semeion's format: the digit stretched to fill 16x16, then black and white at `threshold`
    (0..1 of full ink)."""
    crop = _crop(image)
    if crop is None:
        return np.zeros((LOW_RESOLUTION, LOW_RESOLUTION), np.uint8)
    small = cv2.resize(crop, (LOW_RESOLUTION, LOW_RESOLUTION), interpolation=cv2.INTER_AREA)
    return np.where(small >= threshold * 255, 255, 0).astype(np.uint8)


def low_resolution(image: np.ndarray) -> np.ndarray:
    """USPS's format: the digit's longer side shrunk to 16 pixels, grey."""
    crop = _crop(image)
    canvas = np.zeros((LOW_RESOLUTION, LOW_RESOLUTION), np.uint8)
    if crop is None:
        return canvas
    scale = LOW_RESOLUTION / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    top, left = (LOW_RESOLUTION - height) // 2, (LOW_RESOLUTION - width) // 2
    canvas[top : top + height, left : left + width] = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)
    return canvas


def back_to_mnist(small: np.ndarray) -> np.ndarray | None:
    """A clean 16x16 digit enlarged as the training data reads the 16x16 sets, then put in MNIST's
    geometry by preprocess.to_mnist (the full pipeline finds the same ink at twenty times the cost)."""
    large = cv2.resize(small, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
    mask = (large > 96).astype(np.uint8)
    return to_mnist(large.astype(np.float32), mask) if mask.any() else None


def format_variants(images: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """For each digit (white on black, in MNIST geometry), one copy in another set's format, in
    MNIST geometry again: (variants, kind index into FORMATS). Half of the digits, drawn with
    `seed`, become stretched and binary (threshold drawn from 0.25..0.6), the rest low-resolution
    grey. A variant without ink is the original digit."""
    rng = np.random.default_rng(seed)
    kinds = rng.integers(0, len(FORMATS), len(images))
    thresholds = rng.uniform(0.25, 0.6, len(images))
    variants = images.copy()
    for index, (image, kind, threshold) in enumerate(zip(images, kinds, thresholds)):
        variant = back_to_mnist(stretched_binary(image, threshold) if kind == 0 else low_resolution(image))
        if variant is not None:
            variants[index] = variant
    return variants, kinds


def _stain(rng: np.random.Generator, canvas: np.ndarray) -> None:
    """A blot or smudge: a ragged filled blob of uneven darkness."""
    size = canvas.shape[0]
    centre = rng.uniform(0.3, 0.7, 2) * size
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radius = rng.uniform(0.15, 0.4) * size * np.exp(rng.normal(0, 0.25, len(angles)))
    radius = np.convolve(np.r_[radius[-2:], radius, radius[:2]], np.ones(5) / 5, "valid")
    points = np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], axis=1)
    cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], float(rng.uniform(0.4, 1.0)))


def _edge(rng: np.random.Generator, canvas: np.ndarray) -> None:
    """The soft edge of a shadow or the sheet's corner: a half-plane or an L of darkness."""
    size = canvas.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    side = np.cos(angle) * xx + np.sin(angle) * yy - rng.uniform(-0.3, 0.3)
    canvas += np.clip(side * rng.uniform(3, 30), 0, 1) * rng.uniform(0.3, 1.0)
    if rng.random() < 0.4:
        canvas[: int(rng.uniform(0.2, 0.8) * size), : int(rng.uniform(0.1, 0.4) * size)] = 1.0


def _lines(rng: np.random.Generator, canvas: np.ndarray) -> None:
    """Fragments of grid or ruled lines: long, straight, evenly spaced."""
    size = canvas.shape[0]
    spacing = int(rng.uniform(0.15, 0.45) * size)
    thickness = int(rng.integers(1, 4))
    for y in range(int(rng.integers(0, spacing)), size, spacing):
        cv2.line(canvas, (0, y), (size - 1, y), 1.0, thickness)
    if rng.random() < 0.6:
        for x in range(int(rng.integers(0, spacing)), size, spacing):
            cv2.line(canvas, (x, 0), (x, size - 1), 1.0, thickness)


def _noise(rng: np.random.Generator, canvas: np.ndarray) -> None:
    """Paper grain or sensor noise that survived a threshold: speckle, coarse or fine."""
    size = canvas.shape[0]
    grain = rng.uniform(0, 1, (size, size)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), rng.uniform(0.5, 3.0))
    canvas += np.clip((grain - grain.mean()) / max(grain.std(), 1e-6) * 0.5, 0, 1)


def _like_a_one(mask: np.ndarray) -> bool:
    """A narrow upright bar is how a 1 looks in MNIST's geometry, whatever drew it: not clutter."""
    ys, xs = np.nonzero(mask)
    return len(ys) > 0 and (xs.max() - xs.min() + 1) < 0.5 * (ys.max() - ys.min() + 1)


def non_digits(count: int, seed: int, size: int = 64) -> np.ndarray:
    """`count` images (28x28 uint8, white on black, in MNIST geometry) that are no digit; shapes
    that would read as a 1 (a narrow upright bar) are drawn again."""
    rng = np.random.default_rng(seed)
    makers = (_stain, _edge, _lines, _noise)
    out = np.zeros((count, 28, 28), np.uint8)
    index = 0
    while index < count:
        canvas = np.zeros((size, size), np.float32)
        for maker in rng.choice(makers, size=int(rng.integers(1, 3)), replace=False):
            maker(rng, canvas)
        ink = np.clip(canvas, 0, 1) * 255
        mask = (ink > 40).astype(np.uint8)
        if not mask.any() or _like_a_one(mask):
            continue
        out[index] = to_mnist(ink, mask)
        index += 1
    return out
