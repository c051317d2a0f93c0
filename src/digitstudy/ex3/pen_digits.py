"""Digits drawn as pen trajectories, in the shapes that MNIST's writers rarely use.

MNIST's writers were American, and a font draws each digit once; writers elsewhere start a 1 with a
long up-stroke, cross a 7, write a 4 open, give a 9 a small loop and a long tail, loop the foot of a 2
(SHAPES). Each shape is a few strokes through control points in a unit box (x to the right, y down).
Every sample moves the points (one writer's variation), stretches, slants and turns the whole, and
draws it with a pen of random width. Generated here, so it needs no download.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..data.arrays import Split

CANVAS = 64  # side of each drawn digit, white on black, as the fonts
SUPERSAMPLE = 4  # drawn this much larger, then reduced: smooth edges and fractional pen widths
DIGIT_HEIGHT = 46  # pixels of CANVAS
MARGIN = 0.06  # of CANVAS on every side, kept free of ink
SPLINE_STEPS = 12  # points per segment between two control points


def _ellipse(cx: float, cy: float, rx: float, ry: float, start: float = 90, turn: float = 380) -> list:
    """Points round an ellipse from angle `start` (degrees, 90 = top), anticlockwise on paper."""
    angles = np.radians(start + np.linspace(0, turn, 11))
    return [(cx + rx * np.cos(a), cy - ry * np.sin(a)) for a in angles]


# The loop of most 9s, from the top right round to its corner, before the stem or tail.
_NINE_LOOP = [(0.8, 0.15), (0.5, 0.0), (0.18, 0.18), (0.28, 0.45), (0.6, 0.45), (0.82, 0.2), (0.82, 0.2)]

# digit -> shapes -> strokes -> control points. A point given twice is a corner (the spline stops there).
SHAPES: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [
        [_ellipse(0.5, 0.5, 0.42, 0.5)],
        [_ellipse(0.5, 0.5, 0.38, 0.5, start=60, turn=370)],
    ],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.22, 0.28), (0.55, 0.0), (0.55, 0.0), (0.55, 1.0)]],  # short flag
        [[(0.1, 0.62), (0.6, 0.0), (0.6, 0.0), (0.6, 1.0)]],  # long up-stroke
        [[(0.05, 0.85), (0.6, 0.0), (0.6, 0.0), (0.62, 1.0)]],  # up-stroke from the foot
        [[(0.22, 0.28), (0.55, 0.0), (0.55, 0.0), (0.55, 1.0)], [(0.2, 1.0), (0.9, 1.0)]],  # flag and foot
    ],
    2: [
        [[(0.12, 0.25), (0.35, 0.03), (0.7, 0.03), (0.85, 0.25), (0.7, 0.5), (0.1, 1.0), (0.1, 1.0), (0.9, 1.0)]],
        [[(0.12, 0.25), (0.35, 0.03), (0.7, 0.03), (0.85, 0.25), (0.5, 0.65), (0.2, 0.9), (0.1, 0.8), (0.2, 0.72),
          (0.3, 0.85), (0.45, 0.98), (0.9, 0.98)]],  # looped foot
        [[(0.1, 0.12), (0.5, 0.0), (0.85, 0.15), (0.8, 0.4), (0.15, 1.0), (0.15, 1.0), (0.9, 0.95)]],
    ],
    3: [
        [[(0.15, 0.12), (0.5, 0.0), (0.82, 0.18), (0.75, 0.38), (0.42, 0.48), (0.8, 0.6), (0.88, 0.82), (0.55, 1.0),
          (0.12, 0.88)]],
        # flat top
        [[(0.15, 0.02), (0.85, 0.02), (0.85, 0.02), (0.4, 0.42), (0.8, 0.55), (0.88, 0.8), (0.55, 1.0), (0.12, 0.88)]],
    ],
    4: [
        [[(0.62, 0.0), (0.08, 0.68), (0.08, 0.68), (0.92, 0.68)], [(0.65, 0.05), (0.65, 1.0)]],  # closed
        [[(0.25, 0.0), (0.12, 0.62), (0.12, 0.62), (0.92, 0.62)], [(0.7, 0.2), (0.7, 1.0)]],  # open
        [[(0.35, 0.0), (0.12, 0.45), (0.3, 0.62), (0.92, 0.58)], [(0.7, 0.12), (0.68, 1.0)]],  # curved left stroke
        # one stroke
        [[(0.3, 0.0), (0.12, 0.6), (0.12, 0.6), (0.7, 0.6), (0.7, 0.6), (0.72, 0.15), (0.72, 0.15), (0.7, 1.0)]],
        [[(0.3, 0.0), (0.1, 0.4), (0.25, 0.65), (0.6, 0.62), (0.9, 0.5)], [(0.72, 0.3), (0.7, 1.0)]],  # y-like
    ],
    5: [
        [[(0.25, 0.02), (0.25, 0.02), (0.2, 0.45), (0.2, 0.45), (0.5, 0.38), (0.82, 0.55), (0.85, 0.8), (0.55, 1.0),
          (0.12, 0.88)], [(0.25, 0.02), (0.85, 0.02)]],
        [[(0.85, 0.02), (0.25, 0.02), (0.25, 0.02), (0.18, 0.48), (0.18, 0.48), (0.55, 0.4), (0.85, 0.62), (0.8, 0.9),
          (0.45, 1.0), (0.1, 0.85)]],  # in one stroke
    ],
    6: [
        [[(0.78, 0.05), (0.4, 0.25), (0.15, 0.65), (0.35, 0.98), (0.75, 0.85), (0.72, 0.55), (0.4, 0.5), (0.18, 0.68)]],
        [[(0.65, 0.0), (0.25, 0.55), (0.2, 0.8), (0.45, 1.0), (0.8, 0.82), (0.7, 0.55), (0.3, 0.6)]],
    ],
    7: [
        [[(0.08, 0.05), (0.92, 0.05), (0.92, 0.05), (0.35, 1.0)]],
        [[(0.08, 0.05), (0.92, 0.05), (0.92, 0.05), (0.35, 1.0)], [(0.3, 0.52), (0.82, 0.5)]],  # crossed
        [[(0.08, 0.22), (0.1, 0.02), (0.1, 0.02), (0.9, 0.05), (0.9, 0.05), (0.4, 1.0)]],  # hooked start
        [[(0.08, 0.05), (0.9, 0.05), (0.9, 0.05), (0.6, 0.45), (0.45, 1.0)]],  # curved stem
        # hooked and crossed
        [[(0.08, 0.22), (0.1, 0.02), (0.1, 0.02), (0.9, 0.05), (0.9, 0.05), (0.4, 1.0)], [(0.2, 0.55), (0.85, 0.5)]],
    ],
    8: [
        [[(0.75, 0.12), (0.5, 0.0), (0.2, 0.15), (0.3, 0.38), (0.72, 0.6), (0.8, 0.85), (0.5, 1.0), (0.2, 0.85),
          (0.3, 0.6), (0.7, 0.38), (0.8, 0.15), (0.55, 0.02)]],
        [_ellipse(0.5, 0.24, 0.3, 0.24), _ellipse(0.5, 0.72, 0.38, 0.28)],  # two loops
    ],
    9: [
        [[*_NINE_LOOP, (0.8, 1.0)]],
        [[*_NINE_LOOP, (0.8, 0.75), (0.6, 0.98), (0.3, 0.95), (0.18, 0.82)]],  # curled tail
        [[*_NINE_LOOP, (0.75, 0.65), (0.5, 1.0)]],  # curved stem
        [[*_NINE_LOOP, (0.45, 0.7), (0.12, 1.0)]],  # stem down to the left
        [[(0.8, 0.12), (0.5, 0.0), (0.22, 0.12), (0.3, 0.36), (0.6, 0.36), (0.82, 0.18), (0.82, 0.18), (0.88, 0.55),
          (0.7, 0.9), (0.4, 1.0), (0.1, 0.88)]],  # broad tail
        [[*_NINE_LOOP, (0.8, 0.72), (0.55, 0.97), (0.25, 0.9), (0.15, 0.7)]],  # tail hooked back under the loop
        [[(0.55, 0.12), (0.35, 0.0), (0.12, 0.15), (0.2, 0.38), (0.45, 0.38), (0.58, 0.15), (0.58, 0.15), (0.82, 0.45),
          (0.78, 0.82), (0.45, 1.0), (0.08, 0.92)]],  # small loop, then a wide tail
        # from the foot up into the loop
        [[(0.1, 1.0), (0.35, 0.45), (0.45, 0.2), (0.65, 0.02), (0.9, 0.15), (0.85, 0.4), (0.55, 0.45), (0.4, 0.35)]],
    ],
}  # fmt: skip


@dataclass(frozen=True)
class PenVariation:
    """How far a drawn digit strays from its shape (the defaults look like handwriting)."""

    point_jitter: float = 0.06  # standard deviation of each control point's move, in digit heights
    stroke_shift: float = 0.03  # of each stroke as a whole
    width: tuple[float, float] = (0.45, 1.0)  # digit width / height
    slant: tuple[float, float] = (-0.15, 0.4)  # horizontal shift per unit of height (positive: leans right)
    rotation_degrees: float = 6.0
    pen: tuple[float, float] = (0.06, 0.17)  # pen width / digit height


def _spline(points: np.ndarray) -> np.ndarray:
    """Catmull-Rom curve through `points` (a repeated point makes a corner)."""
    if len(points) < 3:
        return points
    padded = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, SPLINE_STEPS, endpoint=False)[:, None]
    curve = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        if np.allclose(p1, p2):
            continue
        square, cube = (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2, (3 * p1 - p0 - 3 * p2 + p3) * t**3
        curve.append(0.5 * (2 * p1 + (p2 - p0) * t + square + cube))
    curve.append(points[-1:])
    return np.vstack(curve)


def draw_digit(
    strokes: list[list[tuple[float, float]]], rng: np.random.Generator, variation: PenVariation = PenVariation()
) -> np.ndarray:
    """One CANVAS x CANVAS uint8 image (white on black) of `strokes`, varied by `rng`."""
    width, slant = rng.uniform(*variation.width), rng.uniform(*variation.slant)
    angle = np.radians(rng.normal(0, variation.rotation_degrees))
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    curves = []
    for stroke in strokes:
        points = np.asarray(stroke, float) + rng.normal(0, variation.stroke_shift, 2)
        points = points + rng.normal(0, variation.point_jitter, points.shape)
        curve = _spline(points)
        # Box centred at the origin, one unit high; slant leans the top to the right.
        x = (curve[:, 0] - 0.5) * width - (curve[:, 1] - 0.5) * slant
        y = curve[:, 1] - 0.5
        curves.append(np.stack([x, y], 1) @ turn.T)
    # One unit of height is DIGIT_HEIGHT pixels, unless slant, turn and pen would then leave the
    # canvas: smaller then, so that no stroke is cut off.
    share = rng.uniform(*variation.pen)
    points = np.vstack(curves)
    low, high = points.min(axis=0), points.max(axis=0)
    room = CANVAS * SUPERSAMPLE * (1 - 2 * MARGIN)
    scale = min(DIGIT_HEIGHT * SUPERSAMPLE, room / (float((high - low).max()) + share))
    offset = CANVAS * SUPERSAMPLE / 2 - (low + high) / 2 * scale
    pen = max(1, round(share * scale))
    big = np.zeros((CANVAS * SUPERSAMPLE,) * 2, np.uint8)
    for curve in curves:
        cv2.polylines(big, [np.round(curve * scale + offset).astype(np.int32)], False, 255, pen, cv2.LINE_AA)
    return cv2.resize(big, (CANVAS, CANVAS), interpolation=cv2.INTER_AREA)


def pen_digits(count: int, seed: int, variation: PenVariation = PenVariation()) -> Split:
    """`count` digits, balanced over the ten classes, each in one of its shapes (all equally likely)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = np.empty((count, CANVAS, CANVAS), np.uint8)
    for i, digit in enumerate(labels):
        shapes = SHAPES[int(digit)]
        images[i] = draw_digit(shapes[rng.integers(len(shapes))], rng, variation)
    return Split(images, labels.astype(np.int64))
