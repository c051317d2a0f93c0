"""Turn a photo or scan of one handwritten digit into an MNIST-like 28x28 image.

MNIST's own geometry: the digit, white on black, anti-aliased, fitted into a 20x20 box keeping
its aspect ratio, then placed in 28x28 so that its centre of mass is at the centre. The steps
below reproduce that from arbitrary images: any size and format, dark ink on light paper or the
reverse, uneven lighting, some background clutter. Deterministic; the same function serves
training-time evaluation, prediction and grading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
BOX = 20
SIZE = 28
CENTRE = 14.0  # target centre of mass (row, column), as the issue and MNIST's layout put it


class UnreadableImage(ValueError):
    """The file is missing, empty, or not an image OpenCV can decode."""


@dataclass
class Preprocessed:
    image: np.ndarray | None  # 28x28 uint8, white digit on black; None if no digit was found
    inverted: bool  # the input had light ink on a dark background
    reason: str = ""  # why no digit was found


def read_gray(path: str | Path) -> np.ndarray:
    """Any image file -> 2-D uint8 grayscale; transparent areas count as white paper."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
    if raw.size == 0:
        raise UnreadableImage(f"{path}: empty or missing file")
    image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UnreadableImage(f"{path}: not an image that can be decoded")
    if image.dtype != np.uint8:
        image = cv2.normalize(image.astype(np.float64), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        image = (image[..., :3].astype(np.float32) * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    if image.ndim == 3:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    return image


def _working_copy(gray: np.ndarray, longest: int = 400) -> np.ndarray:
    """Large photos are shrunk first: the digit ends up 20 px tall anyway."""
    scale = longest / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def dark_ink_on_light(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Polarity: paper is what fills the border; if the border is darker than the middle of the
    intensity range of the image, the ink is light, and the image is inverted."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = np.median(border) < np.median(gray) or np.median(border) < 96
    return (255 - gray if inverted else gray), bool(inverted)


def pad_with_paper(dark_on_light: np.ndarray) -> tuple[np.ndarray, int]:
    """Surround the image with paper. Tightly cropped digits (and USPS-style ones that fill their
    box) touch the edge; without paper around them the paper estimate below follows the strokes
    that run along the edge and erases them. Each added pixel repeats the nearest edge pixel,
    lifted to the paper level where that pixel is ink, so uneven lighting continues smoothly."""
    pad = max(4, round(0.2 * max(dark_on_light.shape)))
    border = np.concatenate([dark_on_light[0], dark_on_light[-1], dark_on_light[:, 0], dark_on_light[:, -1]])
    paper_level = np.percentile(border, 75)
    lifted = np.maximum(dark_on_light, np.uint8(paper_level))
    padded = cv2.copyMakeBorder(lifted, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    padded[pad:-pad, pad:-pad] = dark_on_light
    return padded, pad


def ink_map(dark_on_light: np.ndarray) -> np.ndarray:
    """Ink strength 0..255 with the (possibly uneven) paper removed."""
    side = max(15, (min(dark_on_light.shape) // 3) | 1)
    # The paper is what a closing with a kernel wider than any stroke leaves: strokes vanish.
    paper = cv2.morphologyEx(dark_on_light, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    paper = cv2.GaussianBlur(paper, (0, 0), side / 4)
    ink = cv2.subtract(paper, dark_on_light)
    # Smooth away paper grain and sensor noise in photos; a blur of fixed size would soften the
    # strokes of small images (MNIST's 28 px) far more than those of photos, so it scales.
    sigma = max(dark_on_light.shape) / 300
    return cv2.GaussianBlur(ink, (0, 0), sigma) if sigma >= 0.5 else ink


def digit_mask(ink: np.ndarray, min_contrast: float = 24.0, frame: tuple[int, int, int, int] | None = None) -> np.ndarray | None:
    """Binary mask of the digit's strokes, or None where there is no ink to speak of.

    Strokes are found with Otsu's threshold, then grown into the fainter ink connected to them
    (hysteresis): a light pen stroke or MNIST's faint tails stay part of the digit while
    unconnected faint specks do not. `frame` = (top, left, bottom, right) of the original image
    inside a padded one; components touching it count as touching the image edge."""
    if float(ink.max()) < min_contrast:
        return None
    threshold, mask = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if threshold < min_contrast / 2:
        return None
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    top, left, bottom, right = frame if frame is not None else (0, 0, *ink.shape)
    largest = areas.max()
    if largest < max(12, 0.0005 * (bottom - top) * (right - left)):
        return None
    main = 1 + int(np.argmax(areas))
    mx, my, mw, mh = stats[main, :4]
    near = 0.15 * max(bottom - top, right - left)
    # Keep components that are large relative to the biggest, and drop small ones at the image
    # edge away from the digit (page edges, shadows); a digit's separate parts (the bar of a 7,
    # the dot of a 5, a stroke broken at the edge of a tight crop) lie close to its main part.
    keep = np.zeros(count, bool)
    for index in range(1, count):
        x, y, w, h, area = stats[index]
        touches = x <= left or y <= top or x + w >= right or y + h >= bottom
        gap = max(mx - (x + w), x - (mx + mw), my - (y + h), y - (my + mh), 0)
        if area >= 0.08 * largest and not (touches and area < 0.5 * largest and gap > near):
            keep[index] = True
    strong = keep[labels]
    if not strong.any():
        return None
    weak = (ink >= max(min_contrast / 2, 0.5 * threshold)).astype(np.uint8)
    _, weak_labels = cv2.connectedComponents(weak, connectivity=8)
    grown = np.isin(weak_labels, np.unique(weak_labels[strong]))
    return (grown | strong).astype(np.uint8) * 255


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
    return Preprocessed(to_mnist(ink, mask), inverted)


def preprocess_file(path: str | Path) -> Preprocessed:
    """Raises UnreadableImage for files that are not images; callers report and go on."""
    return preprocess_gray(read_gray(path))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    moments = cv2.moments(image.astype(np.float32))
    return moments["m01"] / moments["m00"], moments["m10"] / moments["m00"]
