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
   that shadows, vignetting and grey paper all become the same flat background;
4. threshold the ink, remove ruled and grid lines (long, thin, straight, spanning the image),
   and choose the digit's strokes by size, position and distance from each other; faint ink
   connected to them is kept (hysteresis);
5. MNIST geometry: crop, fit into 20x20, centre by centre of mass in 28x28.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
BOX = 20
SIZE = 28
CENTRE = 14.0  # target centre of mass (row, column), as MNIST's layout puts it
WORKING_SIDE = 400  # longest side of the working copy, in pixels
MIN_CONTRAST = 24.0  # weakest ink (0..255, relative to the paper) that can start a stroke
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


def exif_orientation(raw: bytes) -> int:
    """The EXIF orientation flag (1-8) of an encoded image; 1 (as stored) when there is none."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as image:
            value = image.getexif().get(EXIF_ORIENTATION, 1)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright as the EXIF flag says (same result as PIL's exif_transpose)."""
    turned = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.swapaxes(a[::-1, ::-1], 0, 1),
        8: lambda a: np.rot90(a, 1),
    }.get(orientation, lambda a: a)(image)
    return np.ascontiguousarray(turned)


def decode_gray(raw: bytes | np.ndarray, name: str = "image") -> np.ndarray:
    """Encoded image bytes -> 2-D uint8 grayscale, upright; transparent areas count as white paper."""
    raw = np.frombuffer(raw, np.uint8) if isinstance(raw, (bytes, bytearray)) else raw
    if raw.size == 0:
        raise UnreadableImage(f"{name}: empty or missing file")
    # IMREAD_UNCHANGED keeps alpha and 16-bit depth but ignores the EXIF orientation: applied below.
    image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UnreadableImage(f"{name}: not an image that can be decoded")
    if image.dtype != np.uint8:
        image = cv2.normalize(image.astype(np.float64), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        image = (image[..., :3].astype(np.float32) * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    if image.ndim == 3:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    return apply_orientation(image, exif_orientation(raw.tobytes()))


def read_gray(path: str | Path) -> np.ndarray:
    """Any image file -> 2-D uint8 grayscale, upright (see decode_gray)."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
    return decode_gray(raw, str(path))


def _working_copy(gray: np.ndarray, longest: int = WORKING_SIDE) -> np.ndarray:
    """Large photos are shrunk first: the digit ends up 20 px tall anyway."""
    scale = longest / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def dark_ink_on_light(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Polarity, by two witnesses; the more decided one wins. (1) The border: what it mostly
    shows is the background, and the ink is the tail of the histogram farther from it (decisive
    for scans, crops and MNIST, where ink may fill much of the image). (2) Departure from the
    surroundings: a median filter wider than a stroke keeps the edges of shadows, of the sheet
    and of the table but not the strokes, so the ink is what departs most from it (decisive
    when a shadow or the table covers much of the border). Light ink on a dark ground (MNIST,
    USPS, chalk) is inverted."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    low, high = np.percentile(gray, (1, 99))
    by_border = (high - background) - (background - low)  # > 0: light ink
    side = max(3, (min(gray.shape) // 3) | 1)
    departure = gray.astype(np.float64) - cv2.medianBlur(gray, side)
    lighter, darker = departure[departure > 0].sum(), -departure[departure < 0].sum()
    by_departure = lighter - darker  # > 0: light ink
    border_weight = abs(by_border) / max(high - low, 1.0)
    departure_weight = abs(by_departure) / max(lighter + darker, 1.0)
    inverted = (by_border if border_weight >= departure_weight else by_departure) > 0
    return (255 - gray if inverted else gray), bool(inverted)


def pad_with_paper(dark_on_light: np.ndarray) -> tuple[np.ndarray, int]:
    """Surround the image with paper. Tightly cropped digits (and USPS-style ones that fill their
    box) touch the edge; without paper around them the paper estimate below follows the strokes
    that run along the edge and erases them. The added paper continues each edge's own paper:
    the edge's pixels with strokes closed along the edge (a 1-D closing, so a darker corner or
    side of a photo stays as dark as it is and is not met by brighter paper, which would look
    like ink)."""
    pad = max(4, round(0.2 * max(dark_on_light.shape)))
    window = max(15, (2 * min(dark_on_light.shape) // 3) | 1)
    edges = dark_on_light.copy()

    def closed(line: np.ndarray) -> np.ndarray:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min(window, line.size | 1), 1))
        return cv2.morphologyEx(line[None, :], cv2.MORPH_CLOSE, kernel)[0]

    edges[0], edges[-1] = closed(edges[0]), closed(edges[-1])
    edges[:, 0], edges[:, -1] = closed(edges[:, 0]), closed(edges[:, -1])
    padded = cv2.copyMakeBorder(edges, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    padded[pad:-pad, pad:-pad] = dark_on_light
    return padded, pad


def ink_map(dark_on_light: np.ndarray) -> np.ndarray:
    """Ink strength 0..255 relative to the paper under it, with the lighting divided out.

    The paper is what a closing with a square wider than any stroke leaves (strokes vanish; the
    slow changes of light stay). Dividing by it, rather
    than subtracting, makes the same ink on paper in shadow and in full light equally strong:
    light multiplies."""
    side = max(15, (min(dark_on_light.shape) // 3) | 1)
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    paper = cv2.morphologyEx(dark_on_light, cv2.MORPH_CLOSE, square).astype(np.float32)
    paper = cv2.GaussianBlur(paper, (0, 0), 2.0)  # a square leaves steps; smooth them, but not across a shadow's edge
    image = dark_on_light.astype(np.float32)
    paper = np.maximum(paper, image)
    ink = 255.0 * (paper - image) / np.maximum(paper, 16.0)
    # Smooth away paper grain and sensor noise in photos; a blur of fixed size would soften the
    # strokes of small images (MNIST's 28 px) far more than those of photos, so it scales.
    sigma = max(dark_on_light.shape) / 300
    ink = cv2.GaussianBlur(ink, (0, 0), sigma) if sigma >= 0.5 else ink
    return np.clip(np.rint(ink), 0, 255).astype(np.uint8)


def ruled_lines(mask: np.ndarray, frame: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels of grid and ruled lines: straight segments, found by a Hough transform (so tilted
    lines of a photo are found too), that run across the whole image from one edge to the other
    and are thin for their length. A digit's strokes stop short of the image's edges, or, in a
    tight crop, are thick for their length."""
    top, left, bottom, right = frame
    height, width = bottom - top, right - left
    lines = np.zeros_like(mask)
    found = cv2.HoughLinesP(mask, 1, np.pi / 360, threshold=max(10, min(height, width) // 2),
                            minLineLength=0.5 * min(height, width), maxLineGap=max(2, min(height, width) // 50))
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


def _clutter(mask: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Dark areas at the image's edge that are far thicker than the strokes: the table beyond
    the sheet, the sheet's edge, a hand's shadow. The strokes' width is read from the ridge of
    the distance transform in the middle half of the image, where the digit is and the table
    is not."""
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    ridge = (distance > 0) & (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)))
    ys, xs = np.nonzero(inside)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    middle = np.zeros_like(ridge)
    middle[top + (bottom - top) // 4 : bottom - (bottom - top) // 4, left + (right - left) // 4 : right - (right - left) // 4] = True
    if not ridge.any():
        return np.zeros_like(mask)
    stroke = 2 * float(np.median(distance[ridge & middle]) if (ridge & middle).any() else np.percentile(distance[ridge], 30))
    side = max(5, int(2.5 * stroke) | 1)
    thick = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(thick, connectivity=8)
    edge = inside & ~cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    at_edge = np.unique(labels[edge & (thick > 0)])
    clutter = np.isin(labels, at_edge[at_edge > 0])
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


def digit_mask(ink: np.ndarray, min_contrast: float = MIN_CONTRAST,
               frame: tuple[int, int, int, int] | None = None) -> np.ndarray | None:
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
    _, weak_labels = cv2.connectedComponents(weak, connectivity=8)
    touched = np.unique(weak_labels[chosen])
    grown = np.isin(weak_labels, touched[touched > 0])
    return (grown | chosen).astype(np.uint8) * 255


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
        canvas = cv2.warpAffine(canvas, np.float32([[1, 0, shift_x], [0, 1, shift_y]]), (SIZE, SIZE),
                                flags=cv2.INTER_NEAREST, borderValue=0)
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def preprocess_gray(gray: np.ndarray) -> Preprocessed:
    dark, inverted = dark_ink_on_light(_working_copy(gray))
    height, width = dark.shape
    padded, pad = pad_with_paper(dark)
    ink = ink_map(padded)
    mask = digit_mask(ink, frame=(pad, pad, pad + height, pad + width))
    if mask is None:
        return Preprocessed(None, inverted, "no digit found (no ink that stands out from the background)")
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
