"""Turn a photo or scan of one handwritten digit into an MNIST-like 28x28 image.

MNIST's geometry (the digit white on black, fitted into 20x20, centre of mass at the centre of
28x28) from any image: any format, EXIF rotation, either polarity, shadows, faint pencil, ruled
paper, the table in the frame. Deterministic; it serves training, prediction, evaluation, grading.

1. read: decode, transparency onto white paper, EXIF orientation;
2. shrink to a working size, find the polarity;
3. divide out the paper (its brightness at a scale larger than any stroke); in a photo, shadowed
   paper narrower than that scale is estimated again at the strokes' scale, so it is not ink;
4. threshold the ink, remove ruled and grid lines, choose the digit's strokes by size, position and
   distance, keep faint ink joined to them (hysteresis); noise, a blob or an edge fragment is no digit;
5. crop, fit into 20x20, centre by centre of mass in 28x28.

Photos (working copy's short side >= PHOTO_SIDE) get the steps uneven light needs; small images
(crops, scans, the digit sets) skip them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

# The public stages, a line per step above; then what runs them all.
__all__ = [
    "IMAGE_SUFFIXES", "UnreadableImage", "read_gray", "decode_gray", "exif_orientation", "apply_orientation",
    "working_copy", "polarity_evidence", "thinness_evidence", "dark_ink_on_light",
    "pad_with_paper", "paper_estimate", "ink_against", "ink_map", "without_shadows",
    "ruled_lines", "stroke_masks", "digit_mask", "grow_into", "digit_doubt",
    "to_mnist", "centre_of_mass",
    "Preprocessed", "preprocess_gray", "preprocess_file", "to_mnist_geometry",
]  # fmt: skip

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm")
BOX, SIZE = 20, 28  # the digit fits into BOX x BOX, in a SIZE x SIZE image
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
    """The EXIF orientation flag (1-8); 1 when there is none or PIL cannot read the header (OpenCV
    may still decode it). UnreadableImage over PIL's decompression-bomb limit, before decoding."""
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
    raw = np.fromfile(path, dtype=np.uint8) if Path(path).is_file() else np.zeros(0, np.uint8)
    return decode_gray(raw, str(Path(path)))


def working_copy(gray: np.ndarray, longest: int = WORKING_SIDE) -> np.ndarray:
    """Large photos are shrunk first: the digit ends up 20 px tall anyway."""
    scale = longest / max(gray.shape)
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray


def thinness_evidence(gray: np.ndarray) -> float:
    """Polarity from stroke width, -1..1 (> 0: light ink): after Otsu's threshold the ink, drawn in
    strokes, lies nearer its edge (a smaller mean distance to the other side) than the paper."""
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light = (binary > 0).astype(np.uint8)
    if light.all() or not light.any():
        return 0.0
    to_dark = cv2.distanceTransform(light, cv2.DIST_L2, 3)[light > 0].mean()
    to_light = cv2.distanceTransform(1 - light, cv2.DIST_L2, 3)[light == 0].mean()
    return float((to_light - to_dark) / (to_light + to_dark))


def polarity_evidence(gray: np.ndarray) -> float:
    """-1..1: > 0 says "light ink on a dark ground", < 0 "dark ink on light paper". The more decided
    of two witnesses wins: the border (mostly background; the ink is the histogram's other tail) and
    departures from a median wider than a stroke (which keeps shadows' and the table's edges). In a
    photo the border counts as far as it is even, and only departures as strong as faint ink count.
    In a small image stroke width decides first: Semeion's stretched digits cover the border."""
    photo = min(gray.shape) >= PHOTO_SIDE
    if not photo:
        thinness = thinness_evidence(gray)
        if abs(thinness) >= THIN_DECIDED:
            return thinness
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    low, high = np.percentile(gray, (1, 99))
    spread = max(high - low, 1.0)
    side = max(3, (min(gray.shape) // 3) | 1)
    evenness, prior = 1.0, 0.0
    if photo:
        quartiles = np.percentile(border, (25, 75))
        evenness = float(np.clip(1 - 4 * (quartiles[1] - quartiles[0]) / spread, 0, 1))
        # Mirrored beyond the edge: a shadow's edge that meets it goes on as it was (a repeated
        # edge row would bend it). Departure relative to the level the ink darkens or lightens from.
        reach = side // 2
        mirrored = cv2.copyMakeBorder(gray, reach, reach, reach, reach, cv2.BORDER_REFLECT_101)
        surroundings = cv2.medianBlur(mirrored, side)[reach:-reach, reach:-reach].astype(np.float64)
        departure = (gray - surroundings) / np.maximum(np.maximum(surroundings, 255 - surroundings), 16)
        departure[np.abs(departure) < MIN_CONTRAST / 255] = 0
        # Paper shows dark ink unless it says otherwise: the median's errors along a shadow's edge
        # must not make it light ink. The prior is as much dark departure as a small, faint digit.
        prior = PHOTO_PRIOR * gray.size
    else:
        departure = gray - cv2.medianBlur(gray, side).astype(np.float64)
    lighter, darker = departure[departure > 0].sum(), -departure[departure < 0].sum()
    border_witness = evenness * ((high - background) - (background - low)) / spread  # > 0: light ink
    departure_witness = (lighter - darker - prior) / max(lighter + darker + prior, 1.0)
    return border_witness if abs(border_witness) >= abs(departure_witness) else departure_witness


def dark_ink_on_light(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """The image as dark ink on light paper, and whether it was inverted (MNIST, USPS, chalk)."""
    inverted = polarity_evidence(gray) > 0
    return (255 - gray if inverted else gray), bool(inverted)


def pad_with_paper(dark_on_light: np.ndarray, shadows: bool = False) -> tuple[np.ndarray, int]:
    """Surround the image with paper, lest the paper estimate follow (and erase) strokes along the
    edge of a tight crop: each edge with its strokes closed along it (1-D, so a photo's darker side
    is not met by brighter paper). `shadows` (photos): a stretch the closing filled stays as dark
    where the image a little inside is as dark, but no darker than a shadow gets."""
    pad = max(4, round(0.2 * max(dark_on_light.shape)))
    window = max(15, (2 * min(dark_on_light.shape) // 3) | 1)
    depth = max(2, min(dark_on_light.shape) // 20)
    edges = dark_on_light.copy()

    def closed(line: np.ndarray, inner: np.ndarray) -> np.ndarray:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min(window, line.size | 1), 1))
        paper = cv2.morphologyEx(line[None, :], cv2.MORPH_CLOSE, kernel)[0]
        if not shadows:
            return paper
        # Medians ignore strokes across the line; a stroke along the edge is dark there only.
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
    """The paper's brightness under each pixel: a closing with a square of `side` (default: a third
    of the image), wider than any stroke, removes strokes and keeps the slow changes of light."""
    side = max(15, (min(dark_on_light.shape) // 3) | 1) if side is None else side
    # Grain smoothed first (at the ink map's scale): a closing follows the brightest grain.
    sigma = max(dark_on_light.shape) / 300
    smooth = cv2.GaussianBlur(dark_on_light, (0, 0), sigma) if sigma >= 0.5 else dark_on_light
    paper = cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8)).astype(np.float32)
    # The square's steps are smoothed, but in a photo the closing's (lower) value stays where the
    # blur would carry light paper into a shadow and turn its edge into a line of ink.
    blurred = cv2.GaussianBlur(paper, (0, 0), 2.0)
    return np.minimum(blurred, paper) if sigma >= 0.5 else blurred


def ink_against(dark_on_light: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Ink strength 0..255 relative to the paper under it: divided, as light multiplies, so ink in
    shadow and in full light is equally strong."""
    image = dark_on_light.astype(np.float32)
    paper = np.maximum(paper, image)
    ink = 255.0 * (paper - image) / np.maximum(paper, 16.0)
    # Grain and sensor noise smoothed at a scale that grows with the image (spares MNIST's 28 px).
    sigma = max(dark_on_light.shape) / 300
    ink = cv2.GaussianBlur(ink, (0, 0), sigma) if sigma >= 0.5 else ink
    return np.clip(np.rint(ink), 0, 255).astype(np.uint8)


def ink_map(dark_on_light: np.ndarray) -> np.ndarray:
    """Ink strength 0..255 relative to the paper under it, with the lighting divided out."""
    return ink_against(dark_on_light, paper_estimate(dark_on_light))


def without_shadows(dark_on_light: np.ndarray, ink: np.ndarray, frame: tuple[int, int, int, int]) -> np.ndarray:
    """The ink map with shadowed paper at the image's edge taken back out of it. A shadow narrower
    than the paper estimate's square shows as ink; such areas are far thicker than strokes, reach
    the edge and are no darker than a shadow gets. There the paper is estimated again with a square
    just wider than the strokes. `frame` = (top, left, bottom, right) of the image in the padded one."""
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
    shadows = np.isin(labels, [n for n in range(1, count) if np.median(ink[labels == n]) <= SHADOW_DEPTH * 255])
    if not shadows.any():
        return ink
    # Grown by a stroke's width, so that the shadow's soft edge is estimated with it.
    grow = int(np.ceil(stroke)) | 1
    shadows = cv2.dilate(shadows.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))) > 0
    # Here the margin continues the image as it is (light paper beside a dark corner looks like ink).
    crop = dark_on_light[top:bottom, left:right]
    continued = cv2.copyMakeBorder(crop, top, ink.shape[0] - bottom, left, ink.shape[1] - right, cv2.BORDER_REPLICATE)
    local = paper_estimate(continued, max(5, int(2 * stroke) | 1))
    return ink_against(dark_on_light, np.where(shadows, local, paper_estimate(dark_on_light)))


def ruled_lines(mask: np.ndarray, frame: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels of grid and ruled lines: straight segments (Hough, so tilted ones too) that run from
    one edge of the image to the other and are thin for their length. A digit's strokes stop short
    of the edges or, in a tight crop, are thick for their length."""
    top, left, bottom, right = frame
    short = min(bottom - top, right - left)
    lines = np.zeros_like(mask)

    def spans(low, high, start, end) -> bool:  # from near one edge to near the other
        return low <= start + 0.1 * (end - start) and high >= end - 1 - 0.1 * (end - start)

    # No segment runs across unless the mask itself does: most digits need no Hough transform.
    ys, xs = np.nonzero(mask)
    if not len(ys) or not (spans(xs.min(), xs.max(), left, right) or spans(ys.min(), ys.max(), top, bottom)):
        return lines
    found = cv2.HoughLinesP(
        mask, 1, np.pi / 360, threshold=max(10, short // 2), minLineLength=0.5 * short, maxLineGap=max(2, short // 50)
    )
    if found is None:
        return lines
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    for x1, y1, x2, y2 in found.reshape(-1, 4):
        if abs(x2 - x1) >= abs(y2 - y1):  # from the left edge to the right edge
            across = spans(min(x1, x2), max(x1, x2), left, right)
        else:
            across = spans(min(y1, y2), max(y1, y2), top, bottom)
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
    """Opening of a 0/255 mask by a disc of `diameter` pixels, through two distance transforms
    (whose cost, unlike an elliptic kernel's, does not grow with the disc)."""
    fits = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > diameter / 2
    if not fits.any():
        return np.zeros_like(mask)
    reach = cv2.distanceTransform(np.where(fits, 0, 255).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return ((reach <= diameter / 2) & (mask > 0)).astype(np.uint8) * 255


def _stroke_width(mask: np.ndarray, inside: np.ndarray) -> float | None:
    """The strokes' width: twice the median of the distance transform's ridge in the middle half of
    `inside`, where the digit is and the table is not (anywhere, if nothing is there); None without."""
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    ridge = (distance > 0) & (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)))
    if not ridge.any():
        return None
    ys, xs = np.nonzero(inside)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    quarter_h, quarter_w = (bottom - top) // 4, (right - left) // 4
    middle = np.zeros_like(ridge)
    middle[top + quarter_h : bottom - quarter_h, left + quarter_w : right - quarter_w] = True
    central = ridge & middle
    return 2 * float(np.median(distance[central]) if central.any() else np.percentile(distance[ridge], 30))


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
    clutter = _at_edge(_opened(mask, max(5, int(2.5 * stroke) | 1)), inside)
    # Grown by a little so that a digit touching the table comes loose from it.
    return cv2.dilate(clutter.astype(np.uint8) * 255, np.ones((5, 5), np.uint8))


def stroke_masks(ink: np.ndarray, frame: tuple[int, int, int, int], min_contrast: float = MIN_CONTRAST):
    """(strong, weak, enough): the strokes by Otsu's threshold, without ruled lines and the clutter
    at the edge; the fainter ink that may join them (above the paper's grain); the least ink that
    can be a digit. `frame` = (top, left, bottom, right) of the image inside a padded one."""
    threshold = max(cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0], min_contrast)
    top, left, bottom, right = frame
    inside = np.zeros(ink.shape, bool)
    inside[top:bottom, left:right] = True  # the padding is made up: no digit there
    strong = ((ink > threshold) & inside).astype(np.uint8) * 255
    # The weak threshold stays above the paper's grain away from the strokes: its median plus four
    # robust standard deviations, so that a faint stroke among it does not count as grain.
    away = ink[top:bottom, left:right][cv2.dilate(strong, np.ones((5, 5), np.uint8))[top:bottom, left:right] == 0]
    grain = 0.0
    if away.size:
        median = float(np.median(away))
        grain = median + 4 * 1.4826 * float(np.median(np.abs(away - median)))
    weak = ((ink >= min(threshold, max(min_contrast / 2, 0.5 * threshold, grain + 1))) & inside).astype(np.uint8) * 255
    enough = max(12, 0.0005 * (bottom - top) * (right - left))  # the least ink that can be a digit

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
    """Binary mask of the digit's strokes, or None where there is no ink to speak of. The digit is
    the stroke component with the most ink near the middle (those at the edge count for less), with
    the large enough ones close to it (a 7's bar, a broken stroke), grown into the faint ink joined
    to them (hysteresis). `frame` = (top, left, bottom, right) of the image inside a padded one."""
    if float(ink.max()) < min_contrast:
        return None
    top, left, bottom, right = frame if frame is not None else (0, 0, *ink.shape)
    frame_h, frame_w = bottom - top, right - left
    strong, weak, enough = stroke_masks(ink, (top, left, bottom, right), min_contrast)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(strong, connectivity=8)
    if count <= 1 or stats[1:, cv2.CC_STAT_AREA].max() < enough:
        return None
    x, y, w, h, areas = (stats[1:, i].astype(np.float64) for i in range(5))
    touches = (x <= left) | (y <= top) | (x + w >= right) | (y + h >= bottom)
    # How far each component's middle is from the image's middle, as a fraction of the half-size.
    off = np.hypot((x + w / 2 - (left + right) / 2) / (frame_w / 2), (y + h / 2 - (top + bottom) / 2) / (frame_h / 2))
    score = areas * np.exp(-(off**2)) * np.where(touches, 0.25, 1.0)
    main = int(np.argmax(score))
    keep = np.arange(len(areas)) == main
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
    canvas = np.zeros((SIZE, SIZE), np.float32)
    y0, x0 = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA)
    moments = cv2.moments(canvas)
    if moments["m00"] > 0:
        # Whole pixels, as MNIST did: a fractional shift would blur the strokes.
        shift_x, shift_y = (round(CENTRE - moments[m] / moments["m00"]) for m in ("m10", "m01"))
        shift = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
        canvas = cv2.warpAffine(canvas, shift, (SIZE, SIZE), flags=cv2.INTER_NEAREST, borderValue=0)
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def _lag_correlation(image: np.ndarray) -> float:
    """Correlation of the image with itself one pixel across or down, whichever is higher: near 0
    for pixel noise, high along a stroke (a thin 1 correlates down only: USPS's 1-px 1s)."""
    if min(image.shape) < 3:
        return 1.0
    image, correlations = image.astype(np.float64), []
    for a, b in ((image[:, :-1], image[:, 1:]), (image[:-1], image[1:])):
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        correlations.append(float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9)))
    return max(correlations)


def digit_doubt(
    dark_on_light: np.ndarray, ink: np.ndarray, mask: np.ndarray, frame: tuple[int, int, int, int], photo: bool
) -> str:
    """Why the strokes found (`mask`, in `dark_on_light`, whose ink map is `ink`) are no digit; ""
    where they may be one. Pixel noise is uncorrelated. In a photo neither is a solid blob, a small
    piece at the image's edge or a line along it, nor a faint mark not drawn like a stroke; small
    images are spared these (a digit set's stretched 1 is a slab). `frame` as for digit_mask."""
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
    f_top, f_left, f_bottom, f_right = frame
    band = FRAGMENT * max(f_bottom - f_top, f_right - f_left)
    at_edge = top <= f_top or left <= f_left or bottom >= f_bottom or right >= f_right
    near = band / 3  # within a narrow band along one of the image's edges: where a shadow meets the edge
    along_edge = bottom <= f_top + near or right <= f_left + near or top >= f_bottom - near or left >= f_right - near
    if (at_edge and longest < band) or along_edge:
        return "no digit found (only a fragment at the image's edge)"
    if np.percentile(ink[mask > 0], 95) < FAINT and not _stroke_like(dark_on_light, ink, mask):
        return "no digit found (only a faint smear or the edge of a shadow)"
    return ""


def _stroke_like(dark_on_light: np.ndarray, ink: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the faint mark `mask` is drawn like a stroke: a core of even darkness (not fading
    like a smudge), thin (as pencils and fine pens draw), and paper on both sides (not a shadow's
    or the sheet's edge)."""
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


def preprocess_gray(gray: np.ndarray) -> Preprocessed:
    dark_on_light, inverted = dark_ink_on_light(working_copy(gray))
    height, width = dark_on_light.shape
    photo = min(height, width) >= PHOTO_SIDE
    padded, pad = pad_with_paper(dark_on_light, shadows=photo)
    frame = (pad, pad, pad + height, pad + width)
    ink = ink_map(padded)
    if photo:  # a shadow needs room; in a small crop a thick area is a stroke
        ink = without_shadows(padded, ink, frame)
    mask = digit_mask(ink, frame=frame)
    if mask is None:
        return Preprocessed(None, inverted, "no digit found (no ink that stands out from the background)")
    doubt = digit_doubt(padded, ink, mask, frame, photo)
    if doubt:
        return Preprocessed(None, inverted, doubt)
    ys, xs = np.nonzero(mask[pad : pad + height, pad : pad + width])
    box = (ys.min() / height, xs.min() / width, (ys.max() + 1) / height, (xs.max() + 1) / width) if len(ys) else None
    return Preprocessed(to_mnist(ink, mask), inverted, box=box)


def preprocess_file(path: str | Path) -> Preprocessed:
    """Raises UnreadableImage for files that are not images; callers report and go on."""
    return preprocess_gray(read_gray(path))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    moments = cv2.moments(image.astype(np.float32))
    return moments["m01"] / moments["m00"], moments["m10"] / moments["m00"]


def to_mnist_geometry(images: np.ndarray, upscale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every image through preprocess_gray: (images, found); images without a digit stay black.
    Serial on purpose: a process pool forked after TensorFlow started its threads can deadlock
    (seen under SLURM), and threads are slower here than one loop."""
    out = np.zeros((len(images), 28, 28), np.uint8)
    found = np.zeros(len(images), bool)
    for index, image in enumerate(images):
        if upscale > 1:
            image = cv2.resize(image, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
        result = preprocess_gray(image)
        if result.image is not None:
            out[index], found[index] = result.image, True
    return out, found
