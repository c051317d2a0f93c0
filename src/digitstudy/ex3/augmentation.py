"""Training-time augmentation for the recogniser: the ways one writer's digits differ from
another's. Rotation, slant, size and aspect ratio, position and an elastic wobble of the strokes
(Simard et al., 2003) are composed into one displacement field, so each image is resampled once
(every bilinear pass blurs, and networks trained on blurred digits read sharp ones worse); stroke
width changes by a one-pixel dilation or erosion. Plain NumPy and OpenCV, seeded per batch, so it
runs the same under every Keras backend.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

REMAP_CHUNK = 512  # images per cv2.remap call: remap holds source rows as 16-bit integers


def elastic_field(
    rng: np.random.Generator, batch: int, size: int, control_points: int, displacement: float
) -> np.ndarray:
    """Smooth random displacements of shape (2, batch, size, size) in pixels (rows, columns): each
    of control_points x control_points points spread over the image moves by a normal draw with
    standard deviation `displacement`, and bicubic interpolation between them makes strokes bend
    instead of breaking up."""
    coarse = rng.normal(0.0, displacement, (2, batch, control_points, control_points)).astype(np.float32)
    spread = _cubic_spread(control_points, size)
    return np.einsum("ik,cbkl,jl->cbij", spread, coarse, spread).astype(np.float32)


def _cubic_spread(points: int, size: int) -> np.ndarray:
    """(size, points): OpenCV's bicubic resize of `points` values to `size`, as a matrix (the
    resize is separable, so rows and columns each take one such product)."""
    unit = np.eye(points, dtype=np.float32)
    columns = [cv2.resize(unit[:, [j]], (1, size), interpolation=cv2.INTER_CUBIC)[:, 0] for j in range(points)]
    return np.stack(columns, axis=1)


def warp_bilinear(images: np.ndarray, d_rows: np.ndarray, d_cols: np.ndarray) -> np.ndarray:
    """Sample (batch, height, width) images at (row + d_rows, column + d_cols), bilinearly;
    points outside the image read as background (0). OpenCV's remap places each point to 1/32
    of a pixel."""
    batch, height, width = images.shape
    rows, cols = np.meshgrid(np.arange(height, dtype=np.float32), np.arange(width, dtype=np.float32), indexing="ij")
    # A point a pixel or more outside reads only background, so clipping it changes nothing. Each
    # image gets one row and column of background before and two after, and the batch is stacked
    # into one tall image: one remap call reads every image, never a neighbour's pixels.
    r = np.broadcast_to(np.clip(rows + d_rows, -1, height), (batch, height, width))
    c = np.broadcast_to(np.clip(cols + d_cols, -1, width), (batch, height, width))
    padded = np.pad(images.astype(np.float32, copy=False), ((0, 0), (1, 2), (1, 2)))
    out = np.empty((batch, height, width), np.float32)
    for start in range(0, batch, REMAP_CHUNK):
        end = min(start + REMAP_CHUNK, batch)
        first_row = (np.arange(end - start, dtype=np.float32) * (height + 3) + 1)[:, None, None]
        map_rows = (r[start:end] + first_row).reshape(-1, width).astype(np.float32)
        map_cols = (c[start:end] + 1).reshape(-1, width).astype(np.float32)
        source = padded[start:end].reshape(-1, width + 3)
        warped = cv2.remap(source, map_cols, map_rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out[start:end] = warped.reshape(-1, height, width)
    return out


def source_offsets(rng: np.random.Generator, batch: int, size: int, settings) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel reads from, as offsets from itself: scale (height and width apart,
    as writers' aspect ratios differ), slant, rotate, shift, and the elastic wobble."""
    axis = np.arange(size, dtype=np.float32) - (size - 1) / 2  # from the centre
    rows, cols = np.meshgrid(axis, axis, indexing="ij")

    def uniform(bound):
        return rng.uniform(-bound, bound, (batch, 1, 1)).astype(np.float32)

    angle = uniform(math.radians(settings.rotation_degrees))
    slant = uniform(settings.shear)
    height, width = 1 / (1 + uniform(settings.zoom)), 1 / (1 + uniform(settings.zoom))
    r, c = rows * height, cols * width
    c = c + slant * r
    cos, sin = np.cos(angle), np.sin(angle)
    r, c = cos * r + sin * c, -sin * r + cos * c
    r = r + uniform(settings.shift * size)
    c = c + uniform(settings.shift * size)
    if settings.elastic_displacement > 0:
        field = elastic_field(rng, batch, size, settings.elastic_control_points, settings.elastic_displacement)
        r, c = r + field[0], c + field[1]
    return r - rows, c - cols


def change_strokes(images: np.ndarray, rng: np.random.Generator, probability: float) -> np.ndarray:
    """A 2x2 dilation (thicker) for probability/2 of the images, a 2x2 erosion (thinner) for
    another probability/2; the rest unchanged."""
    choice = rng.uniform(size=len(images))
    half = probability / 2
    out = images.copy()
    for chosen, pick in ((choice < half, np.maximum), (choice > 1 - half, np.minimum)):
        if chosen.any():
            pad = np.pad(images[chosen], ((0, 0), (0, 1), (0, 1)))
            out[chosen] = pick(pick(pad[:, :-1, :-1], pad[:, 1:, :-1]), pick(pad[:, :-1, 1:], pad[:, 1:, 1:]))
    return out


def augment(images: np.ndarray, rng: np.random.Generator, settings) -> np.ndarray:
    """uint8 or [0, 1] float images (batch, 28, 28) -> augmented float32 in [0, 1]; `settings`
    has rotation_degrees, shear, zoom, shift, elastic_displacement, elastic_control_points and
    stroke_change_probability (a RecogniserSettings)."""
    x = images.astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    d_rows, d_cols = source_offsets(rng, len(x), x.shape[1], settings)
    x = warp_bilinear(x, d_rows, d_cols)
    return change_strokes(x, rng, settings.stroke_change_probability)
