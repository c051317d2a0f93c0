"""Photo benchmark: known test digits rendered as simulated phone photos of paper, one condition
at a time, read back through the recogniser's own preprocessing and network.

Each digit (MNIST test, and the writers' sets where available) is drawn as ink on a sheet and
photographed: paper texture, a lighting gradient, vignetting, a cast shadow, grid or ruled
lines, blue / black / pencil ink, thin and thick strokes, a small rotation or perspective tilt,
blur, strong JPEG compression, sizes from 40 to 4,000 px, EXIF rotation flags, the sheet's edge
and the table in the frame. Every image is encoded as a file (JPEG, EXIF where set) and decoded
by the same code as a user's photo. Deterministic for a seed. A benchmark, not a test: it
reports accuracy per condition and overall, plus the preprocessing time of a 4,000-px photo.
"""

from __future__ import annotations

import io
import time
import zlib
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
import pandas as pd

from .preprocess import decode_gray, preprocess_gray

# Colours are BGR in 0..255, as OpenCV writes them.
PAPER = np.array([236.0, 238.0, 240.0])
BLACK_INK = np.array([40.0, 36.0, 34.0])
BLUE_INK = np.array([150.0, 45.0, 30.0])
PENCIL = np.array([150.0, 150.0, 152.0])
LINE_BLUE = np.array([225.0, 190.0, 160.0])


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


@dataclass(frozen=True)
class Condition:
    name: str
    description: str
    photo: Photo
    vary: dict = field(default_factory=dict)  # attribute -> values cycled over the digits


CONDITIONS = [
    Condition("clean", "evenly lit white paper, black ink, 400 px", Photo()),
    Condition("paper texture", "grainy paper", Photo(texture=14.0)),
    Condition("lighting gradient", "light falls by 55% across the sheet", Photo(gradient=0.55)),
    Condition("vignetting", "corners 60% darker", Photo(vignette=0.6)),
    Condition("cast shadow", "a hard-edged shadow darkens half the sheet by 50%", Photo(shadow=0.5)),
    Condition("grid paper", "light blue 5 mm grid", Photo(lines="grid")),
    Condition("ruled paper", "light blue ruled lines", Photo(lines="ruled")),
    Condition("blue ink", "blue ballpoint", Photo(ink=tuple(BLUE_INK))),
    Condition("pencil", "faint grey pencil with grain", Photo(ink=tuple(PENCIL), ink_alpha=0.8, pencil_grain=True)),
    Condition("thin strokes", "fine pen", Photo(stroke=-0.6)),
    Condition("thick strokes", "marker", Photo(stroke=1.2)),
    Condition("rotation", "rotated by 8 degrees either way", Photo(rotation=8.0)),
    Condition("perspective tilt", "photographed at an angle", Photo(tilt=0.12)),
    Condition("blur", "out of focus (sigma 2 px at 400 px)", Photo(blur=2.0)),
    Condition("jpeg", "JPEG quality 15", Photo(jpeg_quality=15)),
    Condition("size 40 px", "a 40-px image", Photo(size=40, digit_fraction=0.7)),
    Condition("size 120 px", "a 120-px image", Photo(size=120)),
    Condition("size 1500 px", "a 1,500-px photo", Photo(size=1500)),
    Condition("size 4000 px", "a 4,000-px photo", Photo(size=4000, digit_fraction=0.35)),
    Condition("exif rotation", "stored sideways or upside down with an EXIF orientation flag (6, 3, 8)",
              Photo(), vary={"exif_orientation": (6, 3, 8)}),
    Condition("sheet edge", "the table beside the sheet fills a quarter of the frame", Photo(table_edge=0.25)),
]

# Inverse of the EXIF orientations used: how to store pixels so that turning them as the flag
# says gives the upright image back.
_STORE = {1: lambda a: a, 3: lambda a: np.rot90(a, 2), 6: lambda a: np.rot90(a, 1), 8: lambda a: np.rot90(a, -1)}


def _digit_alpha(digit: np.ndarray, height: int, stroke: float) -> np.ndarray:
    """The digit (white on black, any size) as ink coverage 0..1 at `height` pixels tall."""
    ys, xs = np.nonzero(digit > 0)
    crop = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    crop = cv2.copyMakeBorder(crop, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    scale = height / crop.shape[0]
    alpha = cv2.resize(crop, (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale))),
                       interpolation=cv2.INTER_CUBIC)
    radius = abs(stroke) * scale
    if radius >= 0.5:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(radius) + 1,) * 2)
        alpha = cv2.dilate(alpha, kernel) if stroke > 0 else cv2.erode(alpha, kernel)
    # Anti-aliased edge of a pen stroke rather than MNIST's soft blur.
    return np.clip((alpha - 0.25) * 2.5, 0, 1)


def _light(photo: Photo, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """How much light falls on each pixel: a gradient, vignetting, a cast shadow."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = np.ones((height, width), np.float32)
    if photo.gradient:
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * (xx / width - 0.5) + np.sin(angle) * (yy / height - 0.5)) * 1.4 + 0.5
        light *= 1 - photo.gradient * np.clip(ramp, 0, 1)
    if photo.vignette:
        radius = np.hypot((xx / width - 0.5) * 2, (yy / height - 0.5) * 2) / np.sqrt(2)
        light *= 1 - photo.vignette * radius**2
    if photo.shadow:
        angle = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(-0.15, 0.15)
        side = np.cos(angle) * (xx / width - 0.5) + np.sin(angle) * (yy / height - 0.5) - offset
        light *= 1 - photo.shadow * np.clip(side * 40 + 0.5, 0, 1)  # edge a few pixels wide
    return light


def _paper(photo: Photo, rng: np.random.Generator, height: int, width: int, size: int, line_spacing: float) -> np.ndarray:
    """The sheet: its colour, grain, and grid or ruled lines `line_spacing` pixels apart."""
    paper = np.broadcast_to(PAPER, (height, width, 3)).astype(np.float32).copy()
    if photo.texture:
        grain = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), max(0.7, size / 400))
        paper += (photo.texture * grain / max(grain.std(), 1e-6))[..., None]
    if photo.lines:
        spacing = max(4, round(line_spacing))
        thickness = max(1, round(size / 300))
        phase_y, phase_x = rng.integers(0, spacing, 2)
        for y in range(int(phase_y), height, spacing):
            cv2.line(paper, (0, y), (width - 1, y), LINE_BLUE.tolist(), thickness)
        if photo.lines == "grid":
            for x in range(int(phase_x), width, spacing):
                cv2.line(paper, (x, 0), (x, height - 1), LINE_BLUE.tolist(), thickness)
    return paper


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
        image = cv2.resize(image, (round(width * scale), round(height * scale)),
                           interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
    return encode_jpeg(image, photo.jpeg_quality, photo.exif_orientation)


def render(digit: np.ndarray, photo: Photo, rng: np.random.Generator) -> bytes:
    """One simulated photo of `digit` as encoded JPEG bytes."""
    size = min(photo.size, 1000)  # larger photos are rendered at 1,000 px and enlarged
    height, width = size, max(8, round(size * 0.8))
    light = _light(photo, rng, height, width)
    paper = _paper(photo, rng, height, width, size, height * photo.digit_fraction / (2.0 if photo.lines == "ruled" else 2.6))
    digit_height = max(8, round(height * photo.digit_fraction * rng.uniform(0.85, 1.1)))
    alpha = _ink_alpha(digit, digit_height, photo, rng)
    ah, aw = alpha.shape
    # The digit is written on the sheet: where the table shows on one side, it is on the rest.
    table_left = bool(rng.random() < 0.5)
    cut = round(width * photo.table_edge)
    sheet_left, sheet_right = (cut, width) if table_left else (0, width - cut)
    top = int(np.clip((height - ah) / 2 + rng.uniform(-0.08, 0.08) * height, 0, max(0, height - ah)))
    left = int(np.clip((sheet_left + sheet_right - aw) / 2 + rng.uniform(-0.08, 0.08) * width, sheet_left,
                       max(sheet_left, sheet_right - aw)))
    coverage = np.zeros((height, width), np.float32)
    coverage[top : top + ah, left : left + aw] = alpha[: height - top, : width - left]
    ink = np.asarray(photo.ink, np.float32)
    image = paper * (1 - coverage[..., None]) + ink * coverage[..., None]
    if photo.table_edge:
        table = np.zeros((height, width), bool)
        table[:, :cut] = True
        if not table_left:
            table = table[:, ::-1]
        wood = np.array([40.0, 60.0, 90.0]) + rng.normal(0, 6, (height, width, 1))
        image = np.where(table[..., None], wood, image)
    return _photograph(image, light, photo, rng, size)


def render_sheet(rows: list[list[np.ndarray]], photo: Photo, rng: np.random.Generator, digit_height: int = 90,
                 drift: float = 0.0) -> tuple[bytes, list[list[tuple[int, int, int, int]]]]:
    """A photographed sheet with `rows` of digits written on it, and each digit's box (x0, y0,
    x1, y1) on the sheet before the photo's tilt. `drift`: a row rises by this fraction of a
    digit's height from one digit to the next, as handwriting does."""
    columns = max(len(row) for row in rows)
    pitch_x, pitch_y = round(digit_height * 1.25), round(digit_height * 1.9)
    width, height = pitch_x * (columns + 1), pitch_y * (len(rows) + 1)
    size = max(height, width)
    light = _light(photo, rng, height, width)
    paper = _paper(photo, rng, height, width, size, pitch_y / 2)
    coverage = np.zeros((height, width), np.float32)
    boxes = []
    for r, row in enumerate(rows):
        boxes.append([])
        for c, digit in enumerate(row):
            alpha = _ink_alpha(digit, round(digit_height * rng.uniform(0.85, 1.1)), photo, rng)
            ah, aw = alpha.shape
            top = round(pitch_y * (r + 0.75) - drift * digit_height * c + rng.uniform(-0.08, 0.08) * digit_height)
            left = round(pitch_x * (c + 0.6) + (digit_height - aw) / 2 + rng.uniform(-0.1, 0.1) * digit_height)
            top, left = int(np.clip(top, 0, height - ah)), int(np.clip(left, 0, width - aw))
            coverage[top : top + ah, left : left + aw] = np.maximum(coverage[top : top + ah, left : left + aw], alpha)
            boxes[-1].append((left, top, left + aw, top + ah))
    ink = np.asarray(photo.ink, np.float32)
    image = paper * (1 - coverage[..., None]) + ink * coverage[..., None]
    return _photograph(image, light, replace(photo, size=size), rng, size), boxes


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


def time_large_photo(seed: int = 0, repeats: int = 5) -> dict:
    """Seconds to read and preprocess one 4,000-px JPEG photo (median of `repeats`)."""
    rng = np.random.default_rng(seed)
    digit = np.zeros((28, 28), np.uint8)
    cv2.putText(digit, "4", (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    encoded = render(digit, Photo(size=4000, texture=8.0, vignette=0.4, digit_fraction=0.35), rng)
    total, preprocess_only = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        gray = decode_gray(encoded)
        decoded = time.perf_counter()
        preprocess_gray(gray)
        done = time.perf_counter()
        total.append(done - started)
        preprocess_only.append(done - decoded)
    return {"image_size": [int(s) for s in gray.shape], "decode_and_preprocess_seconds": float(np.median(total)),
            "preprocess_seconds": float(np.median(preprocess_only))}


@dataclass
class RenderedBenchmark:
    """Every benchmark photo rendered and read back through the preprocessing: all that the
    benchmark does before a network sees it, so it can run while the recogniser still trains.
    Flat arrays, one entry per photo; `block[i]` is photo i's row of `blocks`."""

    blocks: pd.DataFrame  # source, condition, description: one row per (source, condition), in order
    block: np.ndarray  # (photos,) int
    inputs: np.ndarray  # (photos, 28, 28) uint8: what the network is given
    found: np.ndarray  # (photos,) bool: the preprocessing found a digit
    labels: np.ndarray  # (photos,) int
    seed: int = 0
    examples: dict = field(default_factory=dict)  # condition -> (decoded gray of one photo, its 28x28)

    def save(self, path) -> None:
        """Arrays and bookkeeping to one .npz (the examples go to the figure instead)."""
        np.savez_compressed(path, block=self.block, inputs=self.inputs, found=self.found, labels=self.labels,
                            blocks=self.blocks.to_json(orient="records"), seed=self.seed)

    @classmethod
    def load(cls, path) -> "RenderedBenchmark":
        import json

        with np.load(path) as data:
            return cls(pd.DataFrame(json.loads(str(data["blocks"]))), data["block"], data["inputs"], data["found"],
                       data["labels"], int(data["seed"]))


@dataclass
class BenchmarkResult:
    per_condition: pd.DataFrame  # source, condition, description, images, correct, accuracy, no_digit
    examples: dict  # condition -> (decoded gray of one photo, its 28x28)
    timing: dict
    photos: dict | None = None  # accuracy on a labelled folder of real photos, when given

    def summary(self) -> dict:
        table = self.per_condition
        by_condition = table.groupby("condition", sort=False).agg(images=("images", "sum"), correct=("correct", "sum"))
        by_condition["accuracy"] = by_condition.correct / by_condition.images
        summary = {
            "overall_accuracy": float(table.correct.sum() / table.images.sum()),
            "images": int(table.images.sum()),
            "worst_condition": str(by_condition.accuracy.idxmin()),
            "worst_condition_accuracy": float(by_condition.accuracy.min()),
            "accuracy_by_condition": {name: float(v) for name, v in by_condition.accuracy.items()},
            "sources": sorted(table.source.unique().tolist()),
            "timing": self.timing,
        }
        if self.photos is not None:
            summary["photos"] = self.photos
        return summary


def _render_condition(images: np.ndarray, count: int, condition: Condition, rng: np.random.Generator):
    """The first `count` digits photographed under `condition` and preprocessed: (28x28 inputs,
    found mask, (first photo, its input))."""
    inputs, found = np.zeros((count, 28, 28), np.uint8), np.zeros(count, bool)
    example = None
    for position in range(count):
        photo = condition.photo
        for attribute, values in condition.vary.items():
            photo = replace(photo, **{attribute: values[position % len(values)]})
        gray = decode_gray(render(images[position], photo, rng))
        result = preprocess_gray(gray)
        if result.image is not None:
            inputs[position], found[position] = result.image, True
        if position == 0:
            example = (gray, inputs[position])
    return inputs, found, example


def render_benchmark(sources: dict[str, tuple[np.ndarray, np.ndarray]], per_condition: int = 100, seed: int = 0,
                     conditions: list[Condition] = CONDITIONS, threads: int = 1) -> RenderedBenchmark:
    """`sources`: name -> (images white on black, labels). The first `per_condition` digits of
    each source are rendered once per condition; each condition has its own random stream, so
    conditions render side by side on `threads` threads (OpenCV and NumPy release the GIL) with
    the same result as one after the other."""
    from concurrent.futures import ThreadPoolExecutor
    from functools import partial

    blocks, inputs, found, labels, examples = [], [], [], [], {}
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for source, (images, source_labels) in sources.items():
            count = min(per_condition, len(source_labels))
            streams = [np.random.default_rng([seed, index, zlib.crc32(source.encode())]) for index in range(len(conditions))]
            rendered = pool.map(partial(_render_condition, images, count), conditions, streams)
            for condition, (condition_inputs, condition_found, example) in zip(conditions, rendered):
                examples.setdefault(condition.name, example)
                blocks.append({"source": source, "condition": condition.name, "description": condition.description})
                inputs.append(condition_inputs)
                found.append(condition_found)
                labels.append(np.asarray(source_labels[:count]))
    block = np.repeat(np.arange(len(blocks)), [len(x) for x in inputs])
    return RenderedBenchmark(pd.DataFrame(blocks, columns=["source", "condition", "description"]), block,
                             np.concatenate(inputs) if inputs else np.zeros((0, 28, 28), np.uint8),
                             np.concatenate(found) if found else np.zeros(0, bool),
                             np.concatenate(labels).astype(int) if labels else np.zeros(0, int),
                             seed, examples)


def score(model, rendered: RenderedBenchmark, photos_folder: str | None = None) -> BenchmarkResult:
    """`model` read every rendered photo: accuracy per source and condition (a photo in which
    no digit was found counts as wrong); plus a labelled folder of real photos, when given. The
    time to read a 4,000-px photo is measured here, not while rendering: in the workflow this
    runs after training, on a quiet machine, and the time is what a user waits."""
    from .inference import probabilities

    rows = []
    for index, block in enumerate(rendered.blocks.itertuples(index=False)):
        mine = rendered.block == index
        predicted = probabilities(model, rendered.inputs[mine]).argmax(axis=1)
        correct = int(((predicted == rendered.labels[mine]) & rendered.found[mine]).sum())
        count = int(mine.sum())
        rows.append({"source": block.source, "condition": block.condition, "description": block.description,
                     "images": count, "correct": correct, "accuracy": correct / count,
                     "no_digit": int((~rendered.found[mine]).sum())})
    photos = None
    if photos_folder:
        from .inference import evaluate

        evaluation = evaluate(model, photos_folder)
        wrong = evaluation.table[~evaluation.table.correct.astype(bool)]
        photos = {"folder": str(photos_folder), "images": int(len(evaluation.table)),
                  "correct": int(evaluation.table.correct.sum()), "accuracy": evaluation.accuracy,
                  "mistakes": [f"{r.file}: {r.label} read as {r.digit}" for r in wrong.itertuples()]}
    return BenchmarkResult(pd.DataFrame(rows), rendered.examples, time_large_photo(rendered.seed), photos)


def run(model, sources: dict[str, tuple[np.ndarray, np.ndarray]], per_condition: int = 100, seed: int = 0,
        conditions: list[Condition] = CONDITIONS, photos_folder: str | None = None, threads: int = 1) -> BenchmarkResult:
    """render_benchmark, then score: the whole benchmark in one call."""
    return score(model, render_benchmark(sources, per_condition, seed, conditions, threads), photos_folder)


def examples_figure(examples: dict):
    """One simulated photo per condition (`examples`: condition -> (decoded gray, its 28x28)),
    next to the 28x28 image the network was given."""
    import math

    from ..plots.provenance import plt

    names = list(examples)
    columns = 4
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, 2 * columns, figsize=(2.2 * columns, 1.5 * rows + 0.5), squeeze=False)
    for axis in axes.flat:
        axis.set_axis_off()
    for position, name in enumerate(names):
        gray, image = examples[name]
        r, c = divmod(position, columns)
        axes[r, 2 * c].imshow(gray, cmap="gray", vmin=0, vmax=255)
        axes[r, 2 * c].set_title(name, fontsize=6)
        axes[r, 2 * c + 1].imshow(image, cmap="gray", vmin=0, vmax=255)
        axes[r, 2 * c + 1].set_title("28x28", fontsize=6)
    figure.suptitle("Photo benchmark: one simulated photo per condition and what the network saw", fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    return figure


def source_digits(mnist_npz, usps_npz=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The benchmark's sources: MNIST's test split, and USPS's when a (non-empty) file is given."""
    from ..data.arrays import load_splits

    test = load_splits(mnist_npz)["test"]
    sources = {"mnist test": (test.images, test.labels)}
    if usps_npz is not None:
        usps = load_splits(usps_npz).get("test")
        if usps is not None and len(usps.labels):
            sources["usps test"] = (usps.images, usps.labels)
    return sources


def write_rendered(rendered: RenderedBenchmark, npz, examples_png) -> None:
    """The rendering half of the benchmark: the arrays (`npz`) and the examples figure."""
    rendered.save(npz)
    examples_figure(rendered.examples).savefig(examples_png, dpi=120)


def write_scores(result: BenchmarkResult, out, per_condition: int, seed: int) -> dict:
    """conditions.csv and summary.json under `out`; returns the summary."""
    import json
    from pathlib import Path

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result.per_condition.to_csv(out / "conditions.csv", index=False)
    summary = result.summary()
    summary["digits_per_condition"] = per_condition
    summary["seed"] = seed
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(summary_markdown(summary))
    return summary


def write_benchmark(model, sources: dict, out, per_condition: int = 100, seed: int = 0,
                    photos_folder: str | None = None, threads: int = 1) -> dict:
    """Run the whole benchmark and write conditions.csv, summary.json and examples.png under `out`."""
    from pathlib import Path

    rendered = render_benchmark(sources, per_condition, seed, threads=threads)
    summary = write_scores(score(model, rendered, photos_folder), out, per_condition, seed)
    examples_figure(rendered.examples).savefig(Path(out) / "examples.png", dpi=120)
    return summary


def summary_markdown(summary: dict) -> str:
    lines = [
        "",
        "## Photo benchmark (simulated phone photos of test digits, one condition at a time)",
        "",
        f"Overall accuracy {summary['overall_accuracy']:.4f} on {summary['images']:,} photos of "
        f"{', '.join(summary['sources'])} digits; a {summary['timing']['image_size'][0]:,}-px photo read and "
        f"preprocessed in {summary['timing']['decode_and_preprocess_seconds']:.3f} s.",
        "",
        "| condition | accuracy |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value:.4f} |" for name, value in summary["accuracy_by_condition"].items()]
    photos = summary.get("photos")
    if photos:
        lines += ["", f"Real photos ({photos['folder']}): {photos['correct']} of {photos['images']} "
                      f"({photos['accuracy']:.4f})."]
    return "\n".join(lines) + "\n"
