"""Turn a photo or scan of one handwritten digit into an MNIST-like 28x28 image.

MNIST's own geometry: the digit, white on black, anti-aliased, fitted into a 20x20 box keeping
its aspect ratio, then placed in 28x28 so that its centre of mass is at the centre. The steps
below reproduce that from arbitrary images: any size and format, phone photos with their EXIF
rotation, dark ink on light paper or the reverse, shadows and vignetting, faint pencil, grid and
ruled paper, the sheet's edge or the table in the frame. Deterministic, with no per-image
settings; the same function serves training-time evaluation, prediction, evaluation and grading.

1. read: decode, flatten transparency onto white paper, apply the EXIF orientation;
2. shrink to a working size (the digit ends up 20 px tall anyway), find the polarity;
3. estimate the paper (its brightness at a scale larger than any stroke) and divide it out, so
   that shadows, vignetting and grey paper all become the same flat background; in a photo,
   shadowed paper narrower than that scale (a shadowed margin, a dark corner) is estimated again
   at the scale of the strokes, so that it is not taken for ink;
4. threshold the ink, remove ruled and grid lines (long, thin, straight, spanning the image),
   and choose the digit's strokes by size, position and distance from each other; faint ink
   connected to them is kept (hysteresis); pixel noise, and in a photo a solid blob or a piece
   of something at the image's edge, is no digit;
5. MNIST geometry: crop, fit into 20x20, centre by centre of mass in 28x28.

Photos (the working copy's short side at least PHOTO_SIDE) get the steps that uneven light needs;
small images (crops, scans, the digit sets the recogniser learns from) are read as before them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

# The public stages, in the order of the steps above; preprocess_gray / preprocess_file run them all.
__all__ = [
    # 1. read
    "IMAGE_SUFFIXES", "UnreadableImage", "read_gray", "decode_gray", "exif_orientation", "apply_orientation",
    # 2. working copy and polarity
    "working_copy", "polarity_evidence", "thinness_evidence", "dark_ink_on_light",
    # 3. paper and ink
    "pad_with_paper", "paper_estimate", "ink_against", "ink_map", "without_shadows",
    # 4. strokes and the digit
    "ruled_lines", "stroke_masks", "digit_mask", "grow_into", "digit_doubt",
    # 5. MNIST geometry
    "to_mnist", "centre_of_mass",
    # all of it
    "Preprocessed", "preprocess_gray", "preprocess_file", "to_mnist_geometry",
]  # fmt: skip

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm")
BOX = 20
SIZE = 28
CENTRE = 14.0  # target centre of mass (row, column), as MNIST's layout puts it
WORKING_SIDE = 400  # longest side of the working copy, in pixels
MIN_CONTRAST = 24.0  # weakest ink (0..255, relative to the paper) that can start a stroke
PHOTO_PRIOR = 0.008  # a photo's prior for dark ink: relative departure per pixel (a faint digit: ~0.01)
PHOTO_SIDE = 100  # images at least this large on their short side (working copy) count as photos
THIN_DECIDED = 0.15  # in a small image, thinness at least this clear decides the polarity
NOISE_CORRELATION = 0.15  # strokes' ink correlates more than this with itself a pixel over (MNIST: > 0.3)
BLOB = 0.7  # a photo's "digit" whose widest part spans this much of its longest side is a blob
FRAGMENT = 0.2  # a photo's "digit" at the image's edge, smaller than this part of the image, is a fragment
SHADOWED_INSIDE = 0.95  # paper in shadow is darker than this part of the paper beside it
SHADOW_DEPTH = 0.7  # the most a shadow darkens paper (a fraction); ink and the table are darker
FAINT = 60  # a photo's mark whose ink (0..255) stays below this is less than a quarter darker than its paper
TWO_SIDED = 0.25  # a stroke's darker side is brighter than the stroke by at least this part of its brighter side's
STROKE_CORE = 0.5  # a stroke has an even core: at least this share of it is within 3/4 of its darkest
BROAD = 0.25  # a faint mark at least this broad for its length is a smear (faint tools draw thin lines)
EXIF_ORIENTATION = 0x0112


class UnreadableImage(ValueError):
    """The file is missing, empty, or not an image OpenCV can decode."""


@dataclass
class Preprocessed:
    image: np.ndarray | None  # 28x28 uint8, white digit on black; None if no digit was found
    inverted: bool  # the input had light ink on a dark background
    reason: str = ""  # why no digit was found
    # Where the digit was found: (top, left, bottom, right) as fractions of the (oriented) input.
    box: tuple[float, float, float, float] | None = None


def exif_orientation(raw: bytes, name: str = "image") -> int:
    """The EXIF orientation flag (1-8) of an encoded image; 1 (as stored) when there is none, or
    where PIL cannot read the header (OpenCV may still decode the image). Raises UnreadableImage
    for an image over PIL's decompression-bomb limit (~179 million pixels, more than any camera
    takes; OpenCV's is higher), found in the header, before anything is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as image:
                value = image.getexif().get(EXIF_ORIENTATION, 1)
    except Image.DecompressionBombError as error:
        raise UnreadableImage(f"{name}: too large to read ({error})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright as the EXIF flag says (PIL's ImageOps.exif_transpose)."""
    if orientation == 1:
        return image
    from PIL import Image, ImageOps

    stored = Image.fromarray(image)
    stored.getexif()[EXIF_ORIENTATION] = orientation
    return np.array(ImageOps.exif_transpose(stored))


def decode_gray(raw: bytes | np.ndarray, name: str = "image") -> np.ndarray:
    """Encoded image bytes -> 2-D uint8 grayscale, upright; transparent areas count as white paper."""
    raw = np.frombuffer(raw, np.uint8) if isinstance(raw, (bytes, bytearray)) else raw
    if raw.size == 0:
        raise UnreadableImage(f"{name}: empty or missing file")
    orientation = exif_orientation(raw.tobytes(), name)
    # IMREAD_UNCHANGED keeps alpha and 16-bit depth but ignores the EXIF orientation: applied below.
    try:
        image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
    except cv2.error as error:  # e.g. over OpenCV's own pixel limit, in a format PIL cannot read
        raise UnreadableImage(f"{name}: {str(error).strip().splitlines()[-1][:200]}") from None
    if image is None:
        raise UnreadableImage(f"{name}: not an image that can be decoded")
    if image.dtype != np.uint8:
        image = cv2.normalize(image.astype(np.float64), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        image = (image[..., :3].astype(np.float32) * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    if image.ndim == 3:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    return apply_orientation(image, orientation)


def read_gray(path: str | Path) -> np.ndarray:
    """Any image file -> 2-D uint8 grayscale, upright (see decode_gray)."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
    return decode_gray(raw, str(path))


def working_copy(gray: np.ndarray, longest: int = WORKING_SIDE) -> np.ndarray:
    """Large photos are shrunk first: the digit ends up 20 px tall anyway."""
    scale = longest / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def thinness_evidence(gray: np.ndarray) -> float:
    """Polarity from stroke width, -1..1 (> 0: light ink): ink is drawn in strokes, so after
    Otsu's threshold the ink side lies nearer its edge (a smaller mean distance to the other
    side) than the paper around and inside it."""
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light = (binary > 0).astype(np.uint8)
    if light.all() or not light.any():
        return 0.0
    to_dark = cv2.distanceTransform(light, cv2.DIST_L2, 3)[light > 0].mean()
    to_light = cv2.distanceTransform(1 - light, cv2.DIST_L2, 3)[light == 0].mean()
    return float((to_light - to_dark) / (to_light + to_dark))


def polarity_evidence(gray: np.ndarray) -> float:
    """How strongly the image says "light ink on a dark ground" (> 0) or "dark ink on light
    paper" (< 0), from -1 to 1; near 0 it does not say. Two witnesses; the more decided one
    wins. (1) The border: what it mostly shows is the background, and the ink is the tail of the
    histogram farther from it (decisive for scans, crops and MNIST, where ink may fill much of the
    image). (2) Departure from the surroundings: a median filter wider than a stroke keeps the
    edges of shadows, of the sheet and of the table but not the strokes, so the ink is what
    departs from it (decisive when a shadow or the table covers much of the border).

    In a photo (the short side at least PHOTO_SIDE) light is uneven: under a shadow and vignetting
    the border shows dark and light paper both, and its median says nothing, so the border counts
    only as far as it is even; and the median's small errors over vignetting and along a shadow's
    edge, spread over large areas, would outweigh the strokes, so only departures as strong as the
    faintest ink count (relative to the surroundings' level, as light multiplies). In a small image
    (a crop, a scan, the digit sets) the border is uneven only where strokes touch it, and both
    witnesses count as they are; but a digit stretched to fill its box (Semeion) runs along most
    of the border, which then shows the ink, so there stroke width (thinness_evidence) decides
    first where it is clear."""
    photo = min(gray.shape) >= PHOTO_SIDE
    if not photo:
        thinness = thinness_evidence(gray)
        if abs(thinness) >= THIN_DECIDED:
            return thinness
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    low, high = np.percentile(gray, (1, 99))
    spread = max(high - low, 1.0)
    by_border = (high - background) - (background - low)  # > 0: light ink
    quartiles = np.percentile(border, (25, 75))
    evenness = float(np.clip(1 - 4 * (quartiles[1] - quartiles[0]) / spread, 0, 1)) if photo else 1.0
    side = max(3, (min(gray.shape) // 3) | 1)
    if photo:
        # Mirrored beyond the image's edge: a shadow's edge that meets it goes on as it was (a
        # repeated edge row would bend it, and the median would err along it).
        reach = side // 2
        mirrored = cv2.copyMakeBorder(gray, reach, reach, reach, reach, cv2.BORDER_REFLECT_101)
        surroundings = cv2.medianBlur(mirrored, side)[reach:-reach, reach:-reach].astype(np.float64)
    else:
        surroundings = cv2.medianBlur(gray, side).astype(np.float64)
    departure = gray - surroundings
    if photo:
        # Relative to the level the ink would darken (dark ink) or lighten (light ink) from.
        departure /= np.maximum(np.maximum(surroundings, 255 - surroundings), 16)
        departure[np.abs(departure) < MIN_CONTRAST / 255] = 0
    lighter, darker = departure[departure > 0].sum(), -departure[departure < 0].sum()
    border_witness = evenness * by_border / spread
    # A photo of paper shows dark ink unless it says otherwise: a few strong departures (the
    # median's errors along a shadow's edge, on blank paper) must not make it light ink. The prior
    # counts as much dark departure as a small, faint digit makes.
    prior = PHOTO_PRIOR * gray.size if photo else 0.0
    departure_witness = (lighter - darker - prior) / max(lighter + darker + prior, 1.0)
    return border_witness if abs(border_witness) >= abs(departure_witness) else departure_witness


def dark_ink_on_light(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """The image as dark ink on light paper, and whether it had to be inverted (light ink on a
    dark ground: MNIST, USPS, chalk), as polarity_evidence says."""
    inverted = polarity_evidence(gray) > 0
    return (255 - gray if inverted else gray), bool(inverted)


def pad_with_paper(dark_on_light: np.ndarray, shadows: bool = False) -> tuple[np.ndarray, int]:
    """Surround the image with paper. Tightly cropped digits (and USPS-style ones that fill their
    box) touch the edge; without paper around them the paper estimate below follows the strokes
    that run along the edge and erases them. The added paper continues each edge's own paper:
    the edge's pixels with strokes closed along the edge (a 1-D closing, so a darker side of a
    photo stays as dark as it is and is not met by brighter paper, which would look like ink).

    `shadows` (for photos): the closing also fills a shadowed stretch of the edge shorter than
    its window, and the corners of vignetting. Where the image a little inside the edge is as dark
    as that stretch, and no darker than a shadow gets, the stretch is shadowed paper, not a
    stroke along the edge, and the added paper stays as dark."""
    pad = max(4, round(0.2 * max(dark_on_light.shape)))
    window = max(15, (2 * min(dark_on_light.shape) // 3) | 1)
    depth = max(2, min(dark_on_light.shape) // 20)
    edges = dark_on_light.copy()

    def closed(line: np.ndarray, inner: np.ndarray) -> np.ndarray:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min(window, line.size | 1), 1))
        paper = cv2.morphologyEx(line[None, :], cv2.MORPH_CLOSE, kernel)[0]
        if not shadows:
            return paper
        # Medians along the lines ignore strokes that cross them; a stroke along the edge is dark
        # on the edge only, a shadow a little inside too.
        width = max(3, (window // 4) | 1)
        edge = cv2.medianBlur(np.ascontiguousarray(line[None, :]), width)[0].astype(np.float64)
        inside = cv2.medianBlur(np.ascontiguousarray(inner[None, :]), width)[0].astype(np.float64)
        level = paper.astype(np.float64)
        shadowed = (edge < level) & (inside < SHADOWED_INSIDE * level) & (edge >= (1 - SHADOW_DEPTH) * level)
        return np.where(shadowed, edge, level).astype(line.dtype)

    edges[0], edges[-1] = closed(edges[0], dark_on_light[depth]), closed(edges[-1], dark_on_light[-1 - depth])
    edges[:, 0] = closed(edges[:, 0], dark_on_light[:, depth])
    edges[:, -1] = closed(edges[:, -1], dark_on_light[:, -1 - depth])
    padded = cv2.copyMakeBorder(edges, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    padded[pad:-pad, pad:-pad] = dark_on_light
    return padded, pad


def paper_estimate(dark_on_light: np.ndarray, side: int | None = None) -> np.ndarray:
    """The paper's brightness under each pixel: what a closing with a square wider than any
    stroke leaves (strokes vanish; the slow changes of light stay). `side`: the square's side
    (default: a third of the image, wider than any stroke)."""
    side = max(15, (min(dark_on_light.shape) // 3) | 1) if side is None else side
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    # A closing follows the brightest grain of the paper, and the rest of the paper would show as
    # faint ink; the grain is smoothed first, at the scale of the ink map's own smoothing below.
    sigma = max(dark_on_light.shape) / 300
    smooth = cv2.GaussianBlur(dark_on_light, (0, 0), sigma) if sigma >= 0.5 else dark_on_light
    paper = cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, square).astype(np.float32)
    # A square leaves steps; they are smoothed. In a photo, where the smoothing would carry light
    # paper across a shadow's edge into the shadow, the closing's own (lower) value stays: there
    # the paper would otherwise look lighter than it is, and the edge would become a line of ink.
    blurred = cv2.GaussianBlur(paper, (0, 0), 2.0)
    return np.minimum(blurred, paper) if sigma >= 0.5 else blurred


def ink_against(dark_on_light: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Ink strength 0..255 relative to the paper under it. Dividing by the paper, rather than
    subtracting, makes the same ink on paper in shadow and in full light equally strong: light
    multiplies."""
    image = dark_on_light.astype(np.float32)
    paper = np.maximum(paper, image)
    ink = 255.0 * (paper - image) / np.maximum(paper, 16.0)
    # Smooth away paper grain and sensor noise in photos; a blur of fixed size would soften the
    # strokes of small images (MNIST's 28 px) far more than those of photos, so it scales.
    sigma = max(dark_on_light.shape) / 300
    ink = cv2.GaussianBlur(ink, (0, 0), sigma) if sigma >= 0.5 else ink
    return np.clip(np.rint(ink), 0, 255).astype(np.uint8)


def ink_map(dark_on_light: np.ndarray) -> np.ndarray:
    """Ink strength 0..255 relative to the paper under it, with the lighting divided out."""
    return ink_against(dark_on_light, paper_estimate(dark_on_light))


def without_shadows(dark_on_light: np.ndarray, ink: np.ndarray, frame: tuple[int, int, int, int]) -> np.ndarray:
    """The ink map with shadowed paper at the image's edge taken back out of it.

    The paper estimate follows only what is wider than its square: a shadow over a margin, a
    vignetted corner or the tip of a shadow across the sheet is narrower, so it shows as ink, as
    dark as the shadow. Such areas are far thicker than the strokes, reach the image's edge, and
    are no darker than a shadow gets (ink, the table and a tight crop's strokes are); there, the
    paper is estimated again with a square just wider than the strokes, which follows the shadow
    and still lets the strokes in it stand out. `frame` = (top, left, bottom, right) of the
    original image inside the padded one."""
    top, left, bottom, right = frame
    inside = np.zeros(ink.shape, bool)
    inside[top:bottom, left:right] = True
    threshold, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    stroke = _stroke_width(((ink > max(threshold, MIN_CONTRAST)) & inside).astype(np.uint8) * 255, inside)
    if stroke is None:
        return ink
    darker = ((ink >= MIN_CONTRAST / 2) & inside).astype(np.uint8) * 255
    thick = _at_edge(_opened(darker, max(5.0, 2.5 * stroke)), inside)
    count, labels = cv2.connectedComponents(thick.astype(np.uint8), connectivity=8)
    shadows = np.zeros(ink.shape, bool)
    for label in range(1, count):
        part = labels == label
        if np.median(ink[part]) <= SHADOW_DEPTH * 255:
            shadows |= part
    if not shadows.any():
        return ink
    # Grown by a stroke's width, so that the shadow's soft edge is estimated with it.
    grow = int(np.ceil(stroke)) | 1
    shadows = cv2.dilate(shadows.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))) > 0
    # The made-up margin is paper as the edges' strokes-free continuation; a shadow, though,
    # goes on as it is (the margin's light paper beside a dark corner would look like ink).
    pad_top, pad_bottom = top, ink.shape[0] - bottom
    pad_left, pad_right = left, ink.shape[1] - right
    continued = cv2.copyMakeBorder(
        dark_on_light[top:bottom, left:right], pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_REPLICATE
    )
    local = paper_estimate(continued, max(5, int(2 * stroke) | 1))
    paper = np.where(shadows, local, paper_estimate(dark_on_light))
    return ink_against(dark_on_light, paper)


def ruled_lines(mask: np.ndarray, frame: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels of grid and ruled lines: straight segments, found by a Hough transform (so tilted
    lines of a photo are found too), that run across the whole image from one edge to the other
    and are thin for their length. A digit's strokes stop short of the image's edges, or, in a
    tight crop, are thick for their length."""
    top, left, bottom, right = frame
    height, width = bottom - top, right - left
    lines = np.zeros_like(mask)
    # A segment lies on the mask, so none runs across unless the mask itself reaches near two
    # opposite edges of the frame: most digits do not, and need no Hough transform.
    ys, xs = np.nonzero(mask)
    if not len(ys) or not (
        (xs.min() <= left + 0.1 * width and xs.max() >= right - 1 - 0.1 * width)
        or (ys.min() <= top + 0.1 * height and ys.max() >= bottom - 1 - 0.1 * height)
    ):
        return lines
    found = cv2.HoughLinesP(
        mask,
        1,
        np.pi / 360,
        threshold=max(10, min(height, width) // 2),
        minLineLength=0.5 * min(height, width),
        maxLineGap=max(2, min(height, width) // 50),
    )
    if found is None:
        return lines
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    for x1, y1, x2, y2 in found.reshape(-1, 4):
        if abs(x2 - x1) >= abs(y2 - y1):  # across: from the left edge to the right edge
            across = min(x1, x2) <= left + 0.1 * width and max(x1, x2) >= right - 1 - 0.1 * width
        else:
            across = min(y1, y2) <= top + 0.1 * height and max(y1, y2) >= bottom - 1 - 0.1 * height
        length = float(np.hypot(x2 - x1, y2 - y1))
        samples = np.linspace(0, 1, max(2, int(length)))
        ys = np.clip(np.rint(y1 + (y2 - y1) * samples).astype(int), 0, mask.shape[0] - 1)
        xs = np.clip(np.rint(x1 + (x2 - x1) * samples).astype(int), 0, mask.shape[1] - 1)
        # Half-width along the segment; the median ignores where a stroke crosses the line.
        half = float(np.median(distance[ys, xs]))
        if across and 0 < half and length >= 30 * 2 * half:
            cv2.line(lines, (int(x1), int(y1)), (int(x2), int(y2)), 255, int(np.ceil(2 * half)) + 4)
    return lines


def _opened(mask: np.ndarray, diameter: float) -> np.ndarray:
    """Morphological opening of a 0/255 mask by a disc of `diameter` pixels: what remains where
    the disc fits. Through two distance transforms, whose cost does not grow with the disc (an
    elliptic kernel's does, with its area)."""
    fits = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > diameter / 2
    if not fits.any():
        return np.zeros_like(mask)
    reach = cv2.distanceTransform(np.where(fits, 0, 255).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return ((reach <= diameter / 2) & (mask > 0)).astype(np.uint8) * 255


def _stroke_width(mask: np.ndarray, inside: np.ndarray) -> float | None:
    """The strokes' width in pixels: twice the median of the distance transform's ridge, in the
    middle half of the image, where the digit is and the table is not (anywhere, if nothing is
    there). None without strokes."""
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    ridge = (distance > 0) & (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)))
    if not ridge.any():
        return None
    ys, xs = np.nonzero(inside)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    middle = np.zeros_like(ridge)
    middle[
        top + (bottom - top) // 4 : bottom - (bottom - top) // 4,
        left + (right - left) // 4 : right - (right - left) // 4,
    ] = True
    return 2 * float(
        np.median(distance[ridge & middle]) if (ridge & middle).any() else np.percentile(distance[ridge], 30)
    )


def _at_edge(mask: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The connected parts of `mask` (0/255) that touch the edge of the region `inside`."""
    # What skimage.segmentation.clear_border removes; scikit-image is no dependency for 4 lines.
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    edge = inside & ~cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    touching = np.unique(labels[edge & (mask > 0)])
    return np.isin(labels, touching[touching > 0])


def _clutter(mask: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Dark areas at the image's edge that are far thicker than the strokes: the table beyond
    the sheet, the sheet's edge, a hand's shadow."""
    stroke = _stroke_width(mask, inside)
    if stroke is None:
        return np.zeros_like(mask)
    thick = _opened(mask, max(5, int(2.5 * stroke) | 1))
    clutter = _at_edge(thick, inside)
    # Grown by a little so that a digit touching the table comes loose from it.
    return cv2.dilate(clutter.astype(np.uint8) * 255, np.ones((5, 5), np.uint8))


def stroke_masks(ink: np.ndarray, frame: tuple[int, int, int, int], min_contrast: float = MIN_CONTRAST):
    """(strong, weak, enough): the strokes by Otsu's threshold, with ruled and grid lines and the
    clutter at the image's edge taken out; the fainter ink that may join them (above the paper's
    grain); and the least ink that can be a digit. `frame` = (top, left, bottom, right) of the
    original image inside a padded one."""
    threshold, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = max(threshold, min_contrast)
    top, left, bottom, right = frame
    frame_h, frame_w = bottom - top, right - left
    inside = np.zeros(ink.shape, bool)
    inside[top:bottom, left:right] = True  # the padding is made up: no digit there
    strong = ((ink > threshold) & inside).astype(np.uint8) * 255
    # Faint ink may join the strokes, but not the grain of the paper: the weak threshold stays
    # above the paper away from the strokes (its median plus four robust standard deviations,
    # so that a faint stroke among it does not count as grain).
    away = ink[top:bottom, left:right][cv2.dilate(strong, np.ones((5, 5), np.uint8))[top:bottom, left:right] == 0]
    grain = 0.0
    if away.size:
        median = float(np.median(away))
        grain = median + 4 * 1.4826 * float(np.median(np.abs(away - median)))
    weak = ((ink >= min(threshold, max(min_contrast / 2, 0.5 * threshold, grain + 1))) & inside).astype(np.uint8) * 255
    enough = max(12, 0.0005 * frame_h * frame_w)  # the least ink that can be a digit

    def remove(unwanted: np.ndarray, *masks: np.ndarray) -> None:
        """Take `unwanted` out of `masks`, unless nothing that could be a digit would be left
        (then the "line" is the digit itself: a 1 drawn thin across a tight crop, a fat blob)."""
        rest = cv2.connectedComponentsWithStats(np.where(unwanted > 0, 0, strong).astype(np.uint8), connectivity=8)[2]
        if len(rest) > 1 and rest[1:, cv2.CC_STAT_AREA].max() >= enough:
            for mask in masks:
                mask[unwanted > 0] = 0

    remove(ruled_lines(weak, frame), strong, weak)
    # Clutter only stops being a place to start from: faint ink joined to the digit may still
    # reach into it (thick strokes of a tight crop meet the edge too).
    remove(_clutter(strong, inside), strong)
    return strong, weak, enough


def digit_mask(
    ink: np.ndarray, min_contrast: float = MIN_CONTRAST, frame: tuple[int, int, int, int] | None = None
) -> np.ndarray | None:
    """Binary mask of the digit's strokes, or None where there is no ink to speak of.

    Strokes are found by stroke_masks; the digit is the component with the most ink near the
    middle of the image, with the other components that are large enough and close to it (the
    bar of a 7, the parts of a broken pencil stroke). Components at the image's edge count for
    less (sheet edges, the table, shadows), and faint ink connected to the chosen strokes is
    grown into them (hysteresis): a light pen stroke or MNIST's faint tails stay part of the
    digit while unconnected faint specks do not.
    `frame` = (top, left, bottom, right) of the original image inside a padded one."""
    if float(ink.max()) < min_contrast:
        return None
    top, left, bottom, right = frame if frame is not None else (0, 0, *ink.shape)
    frame_h, frame_w = bottom - top, right - left
    strong, weak, enough = stroke_masks(ink, (top, left, bottom, right), min_contrast)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(strong, connectivity=8)
    if count <= 1:
        return None
    x, y, w, h, areas = (stats[1:, i].astype(np.float64) for i in range(5))
    if areas.max() < enough:
        return None
    touches = (x <= left) | (y <= top) | (x + w >= right) | (y + h >= bottom)
    # How far each component's middle is from the image's middle, as a fraction of the half-size.
    off = np.hypot((x + w / 2 - (left + right) / 2) / (frame_w / 2), (y + h / 2 - (top + bottom) / 2) / (frame_h / 2))
    score = areas * np.exp(-(off**2)) * np.where(touches, 0.25, 1.0)
    main = int(np.argmax(score))
    keep = np.zeros(len(areas), bool)
    keep[main] = True
    # Grow the digit by nearby parts until nothing more joins; "nearby" scales with the digit.
    while True:
        kx0, ky0 = x[keep].min(), y[keep].min()
        kx1, ky1 = (x + w)[keep].max(), (y + h)[keep].max()
        near = 0.25 * max(kx1 - kx0, ky1 - ky0)
        gap = np.maximum.reduce([kx0 - (x + w), x - kx1, ky0 - (y + h), y - ky1, np.zeros_like(x)])
        joins = ~keep & (gap <= near) & (areas >= 0.08 * areas[keep].max())
        # At the edge of the image only what overlaps the digit joins (not the sheet's edge).
        joins &= ~touches | (gap <= 0) | touches[main]
        if not joins.any():
            break
        keep |= joins
    chosen = np.isin(labels, 1 + np.flatnonzero(keep))
    return grow_into(weak, chosen).astype(np.uint8) * 255


def grow_into(weak: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """`seeds` (bool) with every part of `weak` (8-connected) that holds one of them: faint ink
    joined to the chosen strokes (hysteresis)."""
    inside = weak > 0
    return ndimage.binary_propagation(seeds & inside, structure=np.ones((3, 3), bool), mask=inside) | seeds


def to_mnist(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    crop = np.where(grown[top:bottom, left:right] > 0, ink[top:bottom, left:right], 0).astype(np.float32)
    peak = np.percentile(crop[crop > 0], 95) if np.any(crop > 0) else 1.0
    crop = np.clip(crop / max(peak, 1e-6), 0, 1) * 255
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    box = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((SIZE, SIZE), np.float32)
    y0, x0 = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = box
    moments = cv2.moments(canvas)
    if moments["m00"] > 0:
        # Whole pixels, as MNIST did: a fractional shift would blur the strokes (the centre of mass
        # ends up within half a pixel of the centre).
        shift_x = round(CENTRE - moments["m10"] / moments["m00"])
        shift_y = round(CENTRE - moments["m01"] / moments["m00"])
        canvas = cv2.warpAffine(
            canvas, np.float32([[1, 0, shift_x], [0, 1, shift_y]]), (SIZE, SIZE), flags=cv2.INTER_NEAREST, borderValue=0
        )
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def _lag_correlation(image: np.ndarray) -> float:
    """Correlation of the image with itself one pixel over, across or down, whichever is higher:
    near 0 both ways for pixel noise; high along a stroke, also for a stroke one pixel wide
    (a thin 1 correlates down, not across: the mean of the two took four of USPS's 1s for noise)."""
    image = image.astype(np.float64)

    def correlation(a: np.ndarray, b: np.ndarray) -> float:
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        return float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9))

    if min(image.shape) < 3:
        return 1.0
    return max(correlation(image[:, :-1], image[:, 1:]), correlation(image[:-1], image[1:]))


def digit_doubt(
    dark_on_light: np.ndarray, ink: np.ndarray, mask: np.ndarray, frame: tuple[int, int, int, int], photo: bool
) -> str:
    """Why the strokes found (`mask`, in the image `dark_on_light`) are no digit; "" where they
    may be one. Pixel noise has no strokes: its pixels are uncorrelated from one to the next. In a
    photo, moreover, a digit is made of strokes: a solid blob (an ink blot, a patch of paper
    between shadows) is none, nor is a small piece of something at the image's edge or a line
    along it (the corner of a shadow or of vignetting, the tip of a stain), nor a faint mark that
    is not drawn like a stroke (a smudge, a stain's rim, the edge of a shadow). Small images are
    spared these tests: a digit set's stretched 1 is a slab that fills its box. `ink` is the ink
    map of `dark_on_light`; `frame` = (top, left, bottom, right) of the original image inside
    the padded one."""
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    if _lag_correlation(dark_on_light[top:bottom, left:right]) < NOISE_CORRELATION:
        return "no digit found (only noise)"
    if not photo:
        return ""
    longest = max(bottom - top, right - left)
    widest = 2 * float(cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE).max())
    if widest >= BLOB * longest:
        return "no digit found (a solid blob, not strokes)"
    frame_top, frame_left, frame_bottom, frame_right = frame
    band = FRAGMENT * max(frame_bottom - frame_top, frame_right - frame_left)
    at_edge = top <= frame_top or left <= frame_left or bottom >= frame_bottom or right >= frame_right
    # Within a narrow band along one of the image's edges: where a shadow meets the edge.
    along_edge = (
        bottom <= frame_top + band / 3
        or right <= frame_left + band / 3
        or top >= frame_bottom - band / 3
        or left >= frame_right - band / 3
    )
    if (at_edge and longest < band) or along_edge:
        return "no digit found (only a fragment at the image's edge)"
    if np.percentile(ink[mask > 0], 95) < FAINT and not _stroke_like(dark_on_light, ink, mask):
        return "no digit found (only a faint smear or the edge of a shadow)"
    return ""


def _stroke_like(dark_on_light: np.ndarray, ink: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the faint mark `mask` is drawn like a stroke: a core of even darkness (a pencil
    line) rather than one that fades from its middle (a smudge, a stain's rim); thin, as the
    tools that draw faint lines (pencils, fine pens) do; and paper on both sides of it (not the
    edge of a shadow or of the sheet, with paper on one side only)."""
    inside = mask > 0
    values = ink[inside].astype(np.float32)
    if float((values >= 0.75 * np.percentile(values, 95)).mean()) < STROKE_CORE:
        return False
    ys, xs = np.nonzero(inside)
    if (_stroke_width(mask, inside) or 0.0) >= BROAD * max(np.ptp(ys), np.ptp(xs)):
        return False
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    reach = max(2, int(round(2 * distance.max())))  # a stroke's width away from it
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    ring = (cv2.dilate(mask, disc) > 0) & ~(cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0)
    # The ring's two sides: either side of the mark's long axis through its centre.
    centre_y, centre_x = ys.mean(), xs.mean()
    axis = np.linalg.eigh(np.cov(np.stack([ys - centre_y, xs - centre_x])))[1][:, 1]
    ring_y, ring_x = np.nonzero(ring)
    left = (ring_y - centre_y) * axis[1] - (ring_x - centre_x) * axis[0] > 0
    sides = [dark_on_light[ring_y[part], ring_x[part]] for part in (left, ~left)]
    if not all(side.size for side in sides):
        return False
    mark = float(np.median(dark_on_light[inside]))
    darker, brighter = sorted(float(np.median(side)) for side in sides)
    return darker - mark >= TWO_SIDED * max(brighter - mark, 1.0)


@dataclass
class _Reading:
    """One reading of the working copy, taken as dark ink on light paper: the ink map (with a
    margin of made-up paper), where the original image lies in it, and the digit's strokes (None
    where no digit was found, with the reason)."""

    ink: np.ndarray
    frame: tuple[int, int, int, int]
    mask: np.ndarray | None
    reason: str = ""


def _read(dark_on_light: np.ndarray) -> _Reading:
    height, width = dark_on_light.shape
    photo = min(height, width) >= PHOTO_SIDE
    padded, pad = pad_with_paper(dark_on_light, shadows=photo)
    frame = (pad, pad, pad + height, pad + width)
    ink = ink_map(padded)
    if photo:  # a shadow needs room; in a small crop a thick area is a stroke
        ink = without_shadows(padded, ink, frame)
    mask = digit_mask(ink, frame=frame)
    if mask is None:
        return _Reading(ink, frame, None, "no digit found (no ink that stands out from the background)")
    doubt = digit_doubt(padded, ink, mask, frame, photo)
    return _Reading(ink, frame, None, doubt) if doubt else _Reading(ink, frame, mask)


def preprocess_gray(gray: np.ndarray) -> Preprocessed:
    work = working_copy(gray)
    evidence = polarity_evidence(work)
    inverted = bool(evidence > 0)
    reading = _read(255 - work if inverted else work)
    if reading.mask is None:
        return Preprocessed(None, inverted, reading.reason)
    top, left, bottom, right = reading.frame
    height, width = bottom - top, right - left
    ys, xs = np.nonzero(reading.mask[top:bottom, left:right])
    box = (ys.min() / height, xs.min() / width, (ys.max() + 1) / height, (xs.max() + 1) / width) if len(ys) else None
    return Preprocessed(to_mnist(reading.ink, reading.mask), inverted, box=box)


def preprocess_file(path: str | Path) -> Preprocessed:
    """Raises UnreadableImage for files that are not images; callers report and go on."""
    return preprocess_gray(read_gray(path))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    moments = cv2.moments(image.astype(np.float32))
    return moments["m01"] / moments["m00"], moments["m10"] / moments["m00"]


def to_mnist_geometry(images: np.ndarray, upscale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Run every image through the own-digit preprocessing. Returns (images, found) where
    `found` marks images in which a digit was found (others are returned black).

    Serial on purpose (~4 s per 10,000 MNIST digits): a process pool forked after TensorFlow
    has started its threads can deadlock in the child (seen under SLURM), and threads are
    slower here than one loop."""
    out = np.zeros((len(images), 28, 28), np.uint8)
    found = np.zeros(len(images), bool)
    for index, image in enumerate(images):
        if upscale > 1:
            image = cv2.resize(image, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
        result = preprocess_gray(image)
        if result.image is not None:
            out[index], found[index] = result.image, True
    return out, found
