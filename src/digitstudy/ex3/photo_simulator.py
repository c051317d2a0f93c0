"""Simulated phone photos of paper: a digit (or nothing) written on a sheet, lit, photographed.

A `Photo` says how one photo is made: sheet, ink, light, camera and the table beside the sheet.
`render` returns the JPEG bytes a phone would write; `draw_combined` draws a photo in which several
conditions meet at realistic random strengths, `draw_non_digit` one with no digit at all.
Deterministic for a random generator's state.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import cv2
import numpy as np

# Colours are BGR in 0..255, as OpenCV writes them.
PAPER = np.array([236.0, 238.0, 240.0])
BLACK_INK = np.array([40.0, 36.0, 34.0])
BLUE_INK = np.array([150.0, 45.0, 30.0])
PENCIL = np.array([150.0, 150.0, 152.0])
LINE_BLUE = np.array([225.0, 190.0, 160.0])
COFFEE = np.array([95.0, 135.0, 175.0])
WOOD = np.array([40.0, 60.0, 90.0])


@dataclass(frozen=True)
class Photo:
    """How one simulated photo is made; the defaults are a clean, evenly lit phone photo."""

    size: int = 400  # longest side in pixels
    digit_fraction: float = 0.5  # digit height / image height
    ink: tuple = tuple(BLACK_INK)
    ink_alpha: float = 1.0  # < 1: fainter ink (pencil)
    pencil_grain: bool = False
    stroke: float = 0.0  # stroke change in MNIST pixels: > 0 thicker, < 0 thinner
    texture: float = 0.0  # std of the paper grain (0..255)
    gradient: float = 0.0  # light falls by this fraction across the sheet
    vignette: float = 0.0  # corners darker by this fraction
    shadow: float = 0.0  # a cast shadow darkens part of the sheet by this fraction
    lines: str = ""  # "grid" or "ruled"
    rotation: float = 0.0  # degrees (random sign)
    tilt: float = 0.0  # perspective: corners moved by this fraction of the size
    blur: float = 0.0  # Gaussian sigma in pixels at 400 px
    jpeg_quality: int = 92
    exif_orientation: int = 1
    table_edge: float = 0.0  # fraction of the width covered by a dark table beside the sheet
    paper: tuple = tuple(PAPER)  # the sheet's colour: grey or recycled paper is darker than PAPER
    # Where the shadow's edge lies, along its direction from the digit's centre: 0 through the centre, +-1 at the
    # digit's edge, +-2 at the frame's edge (linear between); the shadow covers the side beyond, so 0.3 darkens part
    # of the digit, 1.5 only a margin. None: the edge passes within 15% of the frame's middle, wherever the digit is.
    shadow_at: float | None = None
    shadow_edge: float = 0.025  # width of the shadow's soft edge (penumbra), fraction of the frame
    stain: str = ""  # "coffee ring", "ink blot" or "smudge" on the sheet


# How a phone stores an upright picture under each EXIF flag used: the inverse of
# ImageOps.exif_transpose, which PIL does not offer.
_STORE = {1: lambda a: a, 3: lambda a: np.rot90(a, 2), 6: lambda a: np.rot90(a, 1), 8: lambda a: np.rot90(a, -1)}


def _digit_alpha(digit: np.ndarray, height: int, stroke: float) -> np.ndarray:
    """The digit (white on black, any size) as ink coverage 0..1 at `height` pixels tall."""
    ys, xs = np.nonzero(digit > 0)
    crop = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    crop = cv2.copyMakeBorder(crop, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    scale = height / crop.shape[0]
    size = (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale)))
    alpha = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    radius = abs(stroke) * scale
    if radius >= 0.5:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(radius) + 1,) * 2)
        alpha = cv2.dilate(alpha, kernel) if stroke > 0 else cv2.erode(alpha, kernel)
    # Anti-aliased edge of a pen stroke rather than MNIST's soft blur.
    return np.clip((alpha - 0.25) * 2.5, 0, 1)


@dataclass(frozen=True)
class _Placement:
    """Where the digit sits on the frame, in pixels: its centre and half-size, and the sheet's columns."""

    centre_y: float
    centre_x: float
    half_height: float
    half_width: float
    sheet_left: int
    sheet_right: int


def _draw_light(photo: Photo, rng: np.random.Generator) -> tuple[float, float, float]:
    """The random parts of the light (gradient angle, shadow angle and offset), drawn before the
    digit is placed (the shadow's edge may be placed relative to the digit)."""
    gradient_angle = rng.uniform(0, 2 * np.pi) if photo.gradient else 0.0
    if not photo.shadow:
        return gradient_angle, 0.0, 0.0
    return gradient_angle, rng.uniform(0, 2 * np.pi), rng.uniform(-0.15, 0.15)


def _shadow_side(photo: Photo, angle: float, xx: np.ndarray, yy: np.ndarray, place: _Placement) -> np.ndarray:
    """Signed distance (in pixels) beyond the shadow's edge, placed relative to the digit as `photo.shadow_at` says."""
    direction = np.array([np.cos(angle), np.sin(angle)])
    sign = np.sign(photo.shadow_at or 1.0)
    along = direction * sign  # the side of the digit the edge lies on
    # From the digit's centre: its own extent along that direction, and the frame's edge.
    extent = abs(along[0]) * place.half_width + abs(along[1]) * place.half_height
    to_x = place.sheet_right - place.centre_x if along[0] > 0 else place.centre_x - place.sheet_left
    to_y = (yy.shape[0] - place.centre_y) if along[1] > 0 else place.centre_y
    frame = max(min(to_x / max(abs(along[0]), 1e-6), to_y / max(abs(along[1]), 1e-6)), extent)
    at = abs(photo.shadow_at)
    distance = at * extent if at <= 1 else extent + (min(at, 2.0) - 1) * (frame - extent)
    distance *= sign
    return direction[0] * (xx - place.centre_x) + direction[1] * (yy - place.centre_y) - distance


def _light(photo: Photo, draws: tuple, height: int, width: int, place: _Placement | None) -> np.ndarray:
    """How much light falls on each pixel: a gradient, vignetting, a cast shadow."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = np.ones((height, width), np.float32)
    gradient_angle, shadow_angle, offset = draws
    if photo.gradient:
        ramp = (np.cos(gradient_angle) * (xx / width - 0.5) + np.sin(gradient_angle) * (yy / height - 0.5)) * 1.4 + 0.5
        light *= 1 - photo.gradient * np.clip(ramp, 0, 1)
    if photo.vignette:
        radius = np.hypot((xx / width - 0.5) * 2, (yy / height - 0.5) * 2) / np.sqrt(2)
        light *= 1 - photo.vignette * radius**2
    if photo.shadow:
        if photo.shadow_at is None or place is None:
            side = np.cos(shadow_angle) * (xx / width - 0.5) + np.sin(shadow_angle) * (yy / height - 0.5) - offset
            edge = side * (1 / photo.shadow_edge)
        else:
            edge = _shadow_side(photo, shadow_angle, xx, yy, place) / (photo.shadow_edge * max(height, width))
        light *= 1 - photo.shadow * np.clip(edge + 0.5, 0, 1)
    return light


def _paper(photo: Photo, rng: np.random.Generator, height: int, width: int, size: int, spacing: float) -> np.ndarray:
    """The sheet: its colour, grain, and grid or ruled lines `spacing` pixels apart."""
    paper = np.broadcast_to(np.asarray(photo.paper, np.float32), (height, width, 3)).copy()
    if photo.texture:
        grain = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), max(0.7, size / 400))
        paper += (photo.texture * grain / max(grain.std(), 1e-6))[..., None]
    if photo.lines:
        step, thickness = max(4, round(spacing)), max(1, round(size / 300))
        phase_y, phase_x = rng.integers(0, step, 2)
        # Lines are printed ink: as much darker than this sheet as LINE_BLUE is than white paper.
        line = (LINE_BLUE / PAPER * np.asarray(photo.paper)).tolist()
        for y in range(int(phase_y), height, step):
            cv2.line(paper, (0, y), (width - 1, y), line, thickness)
        if photo.lines == "grid":
            for x in range(int(phase_x), width, step):
                cv2.line(paper, (x, 0), (x, height - 1), line, thickness)
    if photo.stain:
        paper = _stain(paper, photo.stain, rng)
    return paper


def _stain(paper: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """A coffee ring (a dark rim with a faint inside, often cut by the frame), an ink blot (a
    solid irregular blob) or a smudge (a soft grey smear) on the sheet."""
    height, width = paper.shape[:2]
    size = max(height, width)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    centre_y, centre_x = rng.uniform(0.1, 0.9) * height, rng.uniform(0.1, 0.9) * width
    angle = np.arctan2(yy - centre_y, xx - centre_x)
    if kind == "coffee ring":
        radius = rng.uniform(0.15, 0.4) * size
        wobble = 1 + 0.04 * np.sin(3 * angle + rng.uniform(0, 6.3)) + 0.02 * np.sin(7 * angle + rng.uniform(0, 6.3))
        distance = np.hypot(yy - centre_y, xx - centre_x) / wobble
        rim = np.exp(-(((distance - radius) / (rng.uniform(0.006, 0.02) * size)) ** 2))
        rim *= 0.6 + 0.4 * np.cos(angle - rng.uniform(0, 6.3)) ** 2  # a rim darker on one side
        strength = rng.uniform(0.25, 0.55) * rim + rng.uniform(0.05, 0.15) * (distance < radius)
        colour = COFFEE
    elif kind == "ink blot":
        radius = rng.uniform(0.02, 0.06) * size
        wobble = 1 + 0.15 * np.sin(5 * angle + rng.uniform(0, 6.3)) + 0.1 * np.sin(9 * angle + rng.uniform(0, 6.3))
        inside = np.hypot(yy - centre_y, xx - centre_x) / wobble < radius
        strength = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), max(0.7, size / 400))
        colour = BLACK_INK
    elif kind == "smudge":
        long_axis, short_axis = rng.uniform(0.08, 0.2) * size, rng.uniform(0.02, 0.06) * size
        turn = rng.uniform(0, np.pi)
        u = np.cos(turn) * (xx - centre_x) + np.sin(turn) * (yy - centre_y)
        v = -np.sin(turn) * (xx - centre_x) + np.cos(turn) * (yy - centre_y)
        strength = rng.uniform(0.15, 0.3) * np.exp(-((u / long_axis) ** 2 + (v / short_axis) ** 2))
        colour = PENCIL * 0.6
    else:
        raise ValueError(f"unknown stain {kind!r}; allowed: coffee ring, ink blot, smudge")
    strength = strength[..., None].astype(np.float32)
    return paper * (1 - strength) + colour.astype(np.float32) * strength


def _ink_colour(photo: Photo) -> np.ndarray:
    """Ink darkens the paper it lies on: on grey paper it is as much darker than the paper as on
    white paper (a pencil stroke stays darker than any paper it is drawn on)."""
    return (np.asarray(photo.ink, np.float64) * (np.asarray(photo.paper, np.float64) / PAPER)).astype(np.float32)


def _ink_alpha(digit: np.ndarray, height: int, photo: Photo, rng: np.random.Generator) -> np.ndarray:
    alpha = _digit_alpha(digit, height, photo.stroke) * photo.ink_alpha
    if photo.pencil_grain:
        alpha *= np.clip(rng.normal(1.0, 0.25, alpha.shape), 0.3, 1.3).astype(np.float32)
    return alpha


def _photograph(image: np.ndarray, light: np.ndarray, photo: Photo, rng: np.random.Generator, size: int) -> bytes:
    """The lit sheet as a phone photographs it: turned, tilted, blurred, noisy, JPEG."""
    height, width = light.shape
    image = image * light[..., None]
    if photo.rotation or photo.tilt:
        corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
        moved = corners.copy()
        if photo.tilt:
            shrink = photo.tilt * width
            if rng.random() < 0.5:
                moved[[0, 1], 0] += [shrink, -shrink]  # top edge farther away
            else:
                moved[[0, 3], 1] += [shrink, -shrink]  # left edge farther away
        if photo.rotation:
            angle = np.deg2rad(photo.rotation * rng.choice([-1, 1]))
            centre = np.float32([width / 2, height / 2])
            turn = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            moved = (moved - centre) @ turn.T + centre
        matrix = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
        image = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    if photo.blur:
        image = cv2.GaussianBlur(image, (0, 0), photo.blur * size / 400)
    image += rng.normal(0, 2.0, image.shape).astype(np.float32)  # sensor noise
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if photo.size != size:
        scale = photo.size / size
        shape = (round(width * scale), round(height * scale))
        image = cv2.resize(image, shape, interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
    return encode_jpeg(image, photo.jpeg_quality, photo.exif_orientation)


def render(digit: np.ndarray | None, photo: Photo, rng: np.random.Generator) -> bytes:
    """One simulated photo of `digit` (white on black, any size; None: the sheet alone) as encoded JPEG bytes."""
    size = min(photo.size, 1000)  # larger photos are rendered at 1,000 px and enlarged
    height, width = size, max(8, round(size * 0.8))
    draws = _draw_light(photo, rng)
    spacing = height * photo.digit_fraction / (2.0 if photo.lines == "ruled" else 2.6)
    paper = _paper(photo, rng, height, width, size, spacing)
    alpha = np.zeros((0, 0), np.float32)
    if digit is not None:
        digit_height = max(8, round(height * photo.digit_fraction * rng.uniform(0.85, 1.1)))
        alpha = _ink_alpha(digit, digit_height, photo, rng)
    ah, aw = alpha.shape
    # The digit is written on the sheet: where the table shows on one side, it is on the rest.
    table_left = bool(rng.random() < 0.5)
    cut = round(width * photo.table_edge)
    sheet_left, sheet_right = (cut, width) if table_left else (0, width - cut)
    top = int(np.clip((height - ah) / 2 + rng.uniform(-0.08, 0.08) * height, 0, max(0, height - ah)))
    middle = (sheet_left + sheet_right - aw) / 2 + rng.uniform(-0.08, 0.08) * width
    left = int(np.clip(middle, sheet_left, max(sheet_left, sheet_right - aw)))
    coverage = np.zeros((height, width), np.float32)
    coverage[top : top + ah, left : left + aw] = alpha[: height - top, : width - left]
    ink = _ink_colour(photo)
    image = paper * (1 - coverage[..., None]) + ink * coverage[..., None]
    if photo.table_edge:
        columns = np.arange(width)[:, None]
        table = columns < cut if table_left else columns >= width - cut
        image = np.where(table, WOOD + rng.normal(0, 6, (height, width, 1)), image)
    place = _Placement(top + ah / 2, left + aw / 2, max(ah, 1) / 2, max(aw, 1) / 2, sheet_left, sheet_right)
    return _photograph(image, _light(photo, draws, height, width, place), photo, rng, size)


def render_sheet(
    rows: list[list[np.ndarray]], photo: Photo, rng: np.random.Generator, digit_height: int = 90, drift: float = 0.0
) -> tuple[bytes, list[list[tuple[int, int, int, int]]]]:
    """A photographed sheet with `rows` of digits written on it, and each digit's box (x0, y0,
    x1, y1) on the sheet before the photo's tilt. `drift`: a row rises by this fraction of a
    digit's height from one digit to the next, as handwriting does. (A shadow's edge is placed
    near the sheet's middle: `shadow_at` refers to a single digit.)"""
    columns = max(len(row) for row in rows)
    pitch_x, pitch_y = round(digit_height * 1.25), round(digit_height * 1.9)
    width, height = pitch_x * (columns + 1), pitch_y * (len(rows) + 1)
    size = max(height, width)
    draws = _draw_light(photo, rng)
    paper = _paper(photo, rng, height, width, size, pitch_y / 2)
    coverage = np.zeros((height, width), np.float32)
    boxes = [[] for _ in rows]
    for r, row in enumerate(rows):
        for c, digit in enumerate(row):
            alpha = _ink_alpha(digit, round(digit_height * rng.uniform(0.85, 1.1)), photo, rng)
            ah, aw = alpha.shape
            top = round(pitch_y * (r + 0.75) - drift * digit_height * c + rng.uniform(-0.08, 0.08) * digit_height)
            left = round(pitch_x * (c + 0.6) + (digit_height - aw) / 2 + rng.uniform(-0.1, 0.1) * digit_height)
            top, left = int(np.clip(top, 0, height - ah)), int(np.clip(left, 0, width - aw))
            coverage[top : top + ah, left : left + aw] = np.maximum(coverage[top : top + ah, left : left + aw], alpha)
            boxes[r].append((left, top, left + aw, top + ah))
    ink = _ink_colour(photo)
    image = paper * (1 - coverage[..., None]) + ink * coverage[..., None]
    return _photograph(image, _light(photo, draws, height, width, None), replace(photo, size=size), rng, size), boxes


def encode_jpeg(upright_bgr: np.ndarray, quality: int = 92, orientation: int = 1) -> bytes:
    """JPEG bytes of an upright image, stored turned with an EXIF orientation flag, as phones do."""
    from PIL import Image

    stored = np.ascontiguousarray(_STORE[orientation](upright_bgr)[..., ::-1])
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    Image.fromarray(stored).save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def _uniform(low: float, high: float):
    return lambda rng: float(rng.uniform(low, high))


def _shadow(strength: tuple[float, float], at: tuple[float, float] | None = None) -> dict:
    """A cast shadow's Photo fields, in the order they are drawn."""
    placed = {"shadow_at": _uniform(*at)} if at else {}
    return {"shadow": _uniform(*strength), **placed, "shadow_edge": _uniform(0.004, 0.05)}


# The conditions that meet in a combined photo, with the strengths they are drawn at (Photo
# fields; a callable draws the value), in groups of which a photo has at most one: one shadow,
# one kind of lines, one ink, one stroke width.
_GROUPS: tuple[dict[str, dict], ...] = (
    {"lighting gradient": {"gradient": _uniform(0.2, 0.55)}},
    {"vignetting": {"vignette": _uniform(0.25, 0.6)}},
    {"shadow across the digit": _shadow((0.3, 0.55), (-0.6, 0.6)), "shadowed margin": _shadow((0.3, 0.55), (1.2, 1.8))},
    {"grey paper": {"paper": lambda rng: tuple(PAPER * rng.uniform(0.6, 0.85) * rng.uniform(0.96, 1.04, 3))}},
    {"paper texture": {"texture": _uniform(5.0, 14.0)}},
    {"grid paper": {"lines": lambda rng: "grid"}, "ruled paper": {"lines": lambda rng: "ruled"}},
    {
        "pencil": {"ink": lambda rng: tuple(PENCIL), "ink_alpha": _uniform(0.7, 0.9), "pencil_grain": lambda rng: True},
        "blue ink": {"ink": lambda rng: tuple(BLUE_INK)},
    },
    {"thin pen": {"stroke": _uniform(-0.7, -0.4)}, "thick strokes": {"stroke": _uniform(0.6, 1.2)}},
    {"rotation": {"rotation": _uniform(3.0, 10.0)}},
    {"perspective tilt": {"tilt": _uniform(0.04, 0.12)}},
    {"blur": {"blur": _uniform(0.7, 2.0)}},
    {"jpeg": {"jpeg_quality": lambda rng: int(rng.integers(15, 51))}},
)
COMBINABLE_GROUPS: tuple[tuple[str, ...], ...] = tuple(tuple(group) for group in _GROUPS)
COMBINABLE: dict[str, dict] = {name: fields for group in _GROUPS for name, fields in group.items()}


def _drawn_photo(fields: dict, rng: np.random.Generator) -> Photo:
    return replace(Photo(), **{name: value(rng) for name, value in fields.items()})


def draw_combined(rng: np.random.Generator, at_least: int = 3, at_most: int = 5) -> tuple[Photo, tuple[str, ...]]:
    """A photo in which `at_least`..`at_most` conditions of different groups meet, each at a
    random strength, and the names of the conditions drawn (in COMBINABLE's order)."""
    count = int(rng.integers(at_least, at_most + 1))
    groups = rng.choice(len(COMBINABLE_GROUPS), count, replace=False)
    names = {COMBINABLE_GROUPS[g][int(rng.integers(len(COMBINABLE_GROUPS[g])))] for g in groups}
    ordered = tuple(name for name in COMBINABLE if name in names)
    fields = {field: value for name in ordered for field, value in COMBINABLE[name].items()}
    return _drawn_photo(fields, rng), ordered


# Photos with no digit at all: what a user may photograph by mistake, or what lies around a
# digit. name -> (description, Photo fields drawn per photo).
NON_DIGITS: dict[str, tuple[str, dict]] = {
    "blank, shadow": ("blank paper, a cast shadow across it", _shadow((0.3, 0.6))),
    "blank, shadowed margin": ("blank paper, a shadow over one margin", _shadow((0.3, 0.6), (1.2, 1.8))),
    "blank, vignetting": ("blank paper, dark corners", {"vignette": _uniform(0.3, 0.7)}),
    "blank, lighting gradient": ("blank paper, light falling across it", {"gradient": _uniform(0.3, 0.6)}),
    "blank, grey paper in shadow": (
        "grey paper, vignetting and a cast shadow",
        {**COMBINABLE["grey paper"], "vignette": _uniform(0.3, 0.6), **_shadow((0.3, 0.5))},
    ),
    "grid paper": ("an empty grid", {"lines": lambda rng: "grid", "gradient": _uniform(0.0, 0.4)}),
    "ruled paper": ("empty ruled lines", {"lines": lambda rng: "ruled", "vignette": _uniform(0.0, 0.4)}),
    "sheet edge": (
        "the sheet's edge with the table beside it",
        {"table_edge": _uniform(0.1, 0.45), "gradient": _uniform(0.0, 0.3)},
    ),
    "coffee ring": ("a coffee cup's ring on the paper", {"stain": lambda rng: "coffee ring"}),
    "ink blot": ("a blot of ink", {"stain": lambda rng: "ink blot"}),
    "smudge": ("a grey smudge", {"stain": lambda rng: "smudge", "texture": _uniform(0.0, 8.0)}),
    "paper texture": ("grainy blank paper", {"texture": _uniform(8.0, 18.0)}),
}


def draw_non_digit(kind: str, rng: np.random.Generator) -> Photo:
    """A photo of kind `kind` (a key of NON_DIGITS), drawn at random strengths; render it with no digit."""
    return _drawn_photo(NON_DIGITS[kind][1], rng)
