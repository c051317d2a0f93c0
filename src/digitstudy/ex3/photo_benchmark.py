"""Photo benchmark: known test digits (MNIST test, and the writers' sets where available) as simulated
phone photos of paper (photo_simulator), encoded as files and read back through the user's photo path:
the recogniser's own decoding, preprocessing and network. Each digit is photographed under one condition
at a time (CONDITIONS), then in "combined" photos where several meet at random strengths, as in real
photos (each photo records which); photos with no digit at all should give no digit or an unsure one.
Deterministic for a seed. A benchmark, not a test: it reports accuracy per condition, combined and
overall, what the unsure flag catches, polarity mistakes, how closely the 28x28 inputs match the clean
digits' (needs no model), and the preprocessing time of a 4,000-px photo.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass, field, replace
from functools import partial

import cv2
import numpy as np
import pandas as pd

from .photo_simulator import BLUE_INK, COMBINABLE, NON_DIGITS, PENCIL, Photo, draw_combined, draw_non_digit, render
from .preprocess import decode_gray, preprocess_gray, to_mnist_geometry


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
    Condition(
        "exif rotation",
        "stored sideways or upside down with an EXIF orientation flag (6, 3, 8)",
        Photo(),
        vary={"exif_orientation": (6, 3, 8)},
    ),
    Condition("sheet edge", "the table beside the sheet fills a quarter of the frame", Photo(table_edge=0.25)),
]

COMBINED = "combined"  # the condition name of the combined photos' blocks
COMBINED_DESCRIPTION = "3 to 5 conditions at once, at random strengths"
NON_DIGIT_SOURCE = "no digit"  # the source name of the photos without a digit
COMBINED_PER_DIGIT = 5  # combined photos per source: this many times digits_per_condition
INK_LEVEL = 64  # a 28x28 pixel above this is ink, when an input is compared with the clean digit's
LIKE_CLEAN = 0.5  # an input "reads like the clean digit" when its ink overlaps the clean one's by more
EXAMPLE_NON_DIGIT = "coffee ring"  # the kind of photo without a digit that the examples figure shows
_ARRAYS = ("block", "inputs", "found", "labels", "inverted", "drawn", "fidelity")  # RenderedBenchmark's, as saved
DIGIT_COLUMNS = ["source", "condition", "description", "images", "correct", "accuracy", "no_digit", "flagged"]
DIGIT_COLUMNS += ["answered", "answered_accuracy", "polarity_inversions", "like_clean", "mean_overlap"]
NON_DIGIT_COLUMNS = ["condition", "description", "images", "no_digit", "flagged", "answered"]


def time_large_photo(seed: int = 0, repeats: int = 5) -> dict:
    """Seconds to read and preprocess one 4,000-px JPEG photo (median of `repeats`)."""
    digit = cv2.putText(np.zeros((28, 28), np.uint8), "4", (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    photo = Photo(size=4000, texture=8.0, vignette=0.4, digit_fraction=0.35)
    encoded = render(digit, photo, np.random.default_rng(seed))
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        gray = decode_gray(encoded)
        decoded = time.perf_counter()
        preprocess_gray(gray)
        done = time.perf_counter()
        seconds.append((done - started, done - decoded))
    total, preprocess_only = np.median(seconds, axis=0)
    return {
        "image_size": [int(s) for s in gray.shape],
        "decode_and_preprocess_seconds": float(total),
        "preprocess_seconds": float(preprocess_only),
    }


@dataclass
class RenderedBenchmark:
    """Every benchmark photo rendered and read back through the preprocessing: all that the
    benchmark does before a network sees it, so it can run while the recogniser still trains.
    Flat arrays, one entry per photo; `block[i]` is photo i's row of `blocks`."""

    blocks: pd.DataFrame  # source, condition, description, kind: one row per block, in order
    block: np.ndarray  # (photos,) int
    inputs: np.ndarray  # (photos, 28, 28) uint8: what the network is given
    found: np.ndarray  # (photos,) bool: the preprocessing found a digit
    labels: np.ndarray  # (photos,) int; -1 where the photo has no digit
    # (photos,) bool: ink taken for light on dark; always a mistake here (simulated ink and stains are darker)
    inverted: np.ndarray
    drawn: np.ndarray  # (photos, len(drawn_names)) bool: the conditions each combined photo drew
    # (photos,) float: overlap (intersection over union) of the input's ink with the clean digit's
    # (the source image through the same preprocessing); 0 where no digit was found, NaN without a digit.
    fidelity: np.ndarray
    drawn_names: list = field(default_factory=lambda: list(COMBINABLE))
    seed: int = 0
    examples: dict = field(default_factory=dict)  # name -> (decoded gray of one photo, its 28x28)

    def save(self, path) -> None:
        """Arrays and bookkeeping to one .npz (the examples go to the figure instead)."""
        np.savez_compressed(
            path,
            **{name: getattr(self, name) for name in _ARRAYS},
            blocks=self.blocks.to_json(orient="records"),
            drawn_names=json.dumps(self.drawn_names),
            seed=self.seed,
        )

    @classmethod
    def load(cls, path) -> RenderedBenchmark:
        with np.load(path) as data:
            if missing := [name for name in _ARRAYS if name not in data.files]:
                raise ValueError(
                    f"{path} was rendered by an older version (no {', '.join(missing)}): render it "
                    "again (snakemake --forcerun ex3_photo_render)"
                )
            return cls(
                pd.DataFrame(json.loads(str(data["blocks"]))),
                **{name: data[name] for name in _ARRAYS},
                drawn_names=json.loads(str(data["drawn_names"])),
                seed=int(data["seed"]),
            )


@dataclass(frozen=True)
class _Block:
    """Photos to render: a source under one condition, the source's combined photos, or one kind without a digit."""

    source: str
    condition: str
    description: str
    kind: str  # "single", "combined" or "non-digit"
    count: int
    stream: tuple  # the seed words of the block's own random stream
    single: Condition | None = None


def _photo_for(block: _Block, position: int, rng: np.random.Generator) -> tuple[Photo, tuple[str, ...]]:
    """How the block's photo at `position` is made, and the combined conditions it drew."""
    if block.kind == COMBINED:
        return draw_combined(rng)
    if block.kind == "non-digit":
        return draw_non_digit(block.condition, rng), ()
    photo = block.single.photo
    for attribute, values in block.single.vary.items():
        photo = replace(photo, **{attribute: values[position % len(values)]})
    return photo, ()


def _render_block(images: np.ndarray | None, block: _Block) -> dict:
    """The block's photos rendered and preprocessed: 28x28 inputs, found and inverted masks, the combined
    conditions drawn, and the first photo with its input as an example. `images`: the source's digits, or None."""
    rng = np.random.default_rng(list(block.stream))
    inputs = np.zeros((block.count, 28, 28), np.uint8)
    found, inverted = np.zeros(block.count, bool), np.zeros(block.count, bool)
    drawn = np.zeros((block.count, len(COMBINABLE)), bool)
    example = None
    for position in range(block.count):
        photo, names = _photo_for(block, position, rng)
        drawn[position] = [name in names for name in COMBINABLE]
        gray = decode_gray(render(None if images is None else images[position], photo, rng))
        result = preprocess_gray(gray)
        inverted[position] = result.inverted
        if result.image is not None:
            inputs[position], found[position] = result.image, True
        if position == 0:
            example = (gray, inputs[position])
    return {"inputs": inputs, "found": found, "inverted": inverted, "drawn": drawn, "example": example}


def _tag(name: str) -> int:
    return zlib.crc32(name.encode())


def _blocks(
    sources: dict, per_condition: int, seed: int, conditions: list[Condition], combined: int, non_digits: int
) -> list[_Block]:
    """What to render, in order: each source under each condition, then its combined photos;
    then the photos without a digit. Each block has its own random stream, so that blocks can
    render side by side, and a block renders the same whatever else is rendered."""
    blocks = []
    for source, (_, labels) in sources.items():
        count, tag = min(per_condition, len(labels)), _tag(source)
        blocks += [
            _Block(source, c.name, c.description, "single", count, (seed, index, tag), c)
            for index, c in enumerate(conditions)
        ]
        if combined:
            stream = (seed, _tag(COMBINED), tag)
            blocks.append(_Block(source, COMBINED, COMBINED_DESCRIPTION, COMBINED, min(combined, len(labels)), stream))
    tag = _tag(NON_DIGIT_SOURCE)
    blocks += [
        _Block(NON_DIGIT_SOURCE, kind, description, "non-digit", non_digits, (seed, _tag(kind), tag))
        for kind, (description, _) in NON_DIGITS.items()
        if non_digits
    ]
    return blocks


def _fidelity(inputs: np.ndarray, found: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Intersection over union of each input's ink with its clean digit's (0 where none found)."""
    mine, theirs = inputs > INK_LEVEL, clean > INK_LEVEL
    union = (mine | theirs).sum(axis=(1, 2))
    iou = (mine & theirs).sum(axis=(1, 2)) / np.maximum(union, 1)
    return np.where(found, iou, 0.0)


def render_benchmark(
    sources: dict[str, tuple[np.ndarray, np.ndarray]],
    per_condition: int = 100,
    seed: int = 0,
    conditions: list[Condition] = CONDITIONS,
    threads: int = 1,
    combined: int | None = None,
    non_digits: int | None = None,
) -> RenderedBenchmark:
    """`sources`: name -> (images white on black, labels). The first `per_condition` digits of
    each source are rendered once per condition, and the first `combined` (default
    COMBINED_PER_DIGIT x per_condition) once each under several conditions at once; `non_digits`
    photos of each kind in NON_DIGITS (default a quarter of per_condition, at least 2) have no digit;
    0 leaves either out. Blocks render side by side on `threads` threads (OpenCV and NumPy release
    the GIL) with the same result as one after the other."""
    from concurrent.futures import ThreadPoolExecutor

    combined = COMBINED_PER_DIGIT * per_condition if combined is None else combined
    non_digits = max(2, -(-per_condition // 4)) if non_digits is None else non_digits
    blocks = _blocks(sources, per_condition, seed, conditions, combined, non_digits)
    images = [sources[b.source][0][: b.count] if b.source in sources else None for b in blocks]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        rendered = list(pool.map(_render_block, images, blocks))
    labels, fidelity, examples = _labels_fidelity_examples(sources, blocks, rendered)
    columns = ["source", "condition", "description", "kind"]
    table = pd.DataFrame([[getattr(b, name) for name in columns] for b in blocks], columns=columns)
    joined = {
        name: np.concatenate([r[name] for r in rendered]) if rendered else np.zeros((0, *shape), dtype)
        for name, shape, dtype in (
            ("inputs", (28, 28), np.uint8),
            ("found", (), bool),
            ("inverted", (), bool),
            ("drawn", (len(COMBINABLE),), bool),
        )
    }
    return RenderedBenchmark(
        table,
        np.repeat(np.arange(len(blocks)), [b.count for b in blocks]),
        **joined,
        labels=np.concatenate(labels) if labels else np.zeros(0, int),
        fidelity=np.concatenate(fidelity) if fidelity else np.zeros(0),
        drawn_names=list(COMBINABLE),
        seed=seed,
        examples=examples,
    )


def _labels_fidelity_examples(sources: dict, blocks: list, rendered: list) -> tuple[list, list, dict]:
    """Per block: the labels (-1 without a digit), how closely each 28x28 input matches the clean
    digit's (NaN without one), and one example photo per condition."""
    clean = {
        name: to_mnist_geometry(digits[: max(b.count for b in blocks if b.source == name)])[0]
        for name, (digits, _) in sources.items()
        if any(b.source == name for b in blocks)
    }
    labels, fidelity, examples = [], [], {}
    for block, result in zip(blocks, rendered):
        if block.source in sources:
            labels.append(np.asarray(sources[block.source][1][: block.count]).astype(int))
            fidelity.append(_fidelity(result["inputs"], result["found"], clean[block.source][: block.count]))
        else:
            labels.append(np.full(block.count, -1))
            fidelity.append(np.full(block.count, np.nan))
        if block.kind != "non-digit":
            examples.setdefault(block.condition, result["example"])
        elif block.condition == EXAMPLE_NON_DIGIT:
            examples.setdefault(f"no digit: {block.condition}", result["example"])
    return labels, fidelity, examples


def _counts(mine: np.ndarray, rendered: RenderedBenchmark, predicted, confidence, unsure_below: float) -> dict:
    """What happened to the photos `mine` (a mask): found or not, flagged unsure (a digit found with confidence
    below `unsure_below`) or answered, right or wrong, polarity, and how well the inputs match the clean digits'."""
    found, labels, fidelity = rendered.found[mine], rendered.labels[mine], rendered.fidelity[mine]
    answered = found & (confidence[mine] >= unsure_below)
    right = found & (predicted[mine] == labels)
    images = int(mine.sum())
    measured = images and not np.isnan(fidelity).all()
    return {
        "images": images,
        "correct": int(right.sum()),
        "accuracy": right.sum() / images if images else None,
        "no_digit": int((~found).sum()),
        "flagged": int((found & ~answered).sum()),
        "answered": int(answered.sum()),
        "answered_correct": int((right & answered).sum()),
        "answered_accuracy": (right & answered).sum() / answered.sum() if answered.any() else None,
        "polarity_inversions": int(rendered.inverted[mine].sum()),
        "like_clean": float((fidelity > LIKE_CLEAN).mean()) if measured else None,
        "mean_overlap": float(np.mean(fidelity)) if measured else None,
    }


@dataclass
class BenchmarkResult:
    per_condition: pd.DataFrame  # digit blocks (single conditions and combined): DIGIT_COLUMNS
    examples: dict  # name -> (decoded gray of one photo, its 28x28)
    timing: dict
    photos: dict | None = None  # accuracy on a labelled folder of real photos, when given
    # Photos without a digit, one row per kind (NON_DIGIT_COLUMNS); "answered": a digit was
    # found and given with confidence at or above the unsure threshold - always a mistake.
    non_digits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NON_DIGIT_COLUMNS))
    # The combined photos (all sources) by each condition they drew: condition, then as _counts.
    combined_by_condition: pd.DataFrame = field(default_factory=pd.DataFrame)
    combined: dict | None = None  # _counts of all combined photos
    unsure_below: float = 0.0

    def summary(self) -> dict:
        table = self.per_condition
        single = table[table.condition != COMBINED]
        by_condition = single.groupby("condition", sort=False).agg(images=("images", "sum"), correct=("correct", "sum"))
        by_condition["accuracy"] = by_condition.correct / by_condition.images
        answered = int(table.answered.sum())
        summary = {
            "overall_accuracy": float(table.correct.sum() / table.images.sum()),
            "images": int(table.images.sum()),
            "single_condition_accuracy": float(single.correct.sum() / single.images.sum()),
            "worst_condition": str(by_condition.accuracy.idxmin()),
            "worst_condition_accuracy": float(by_condition.accuracy.min()),
            "accuracy_by_condition": {name: float(v) for name, v in by_condition.accuracy.items()},
            "unsure_below": float(self.unsure_below),
            "flagged": int(table.flagged.sum()),
            "answered_accuracy": float(table.answered_correct.sum() / answered) if answered else None,
            "polarity_inversions": int(table.polarity_inversions.sum()),
            "combined": None,
            "non_digit": _non_digit_summary(self.non_digits),
            "sources": sorted(table.source.unique().tolist()),
            "timing": self.timing,
        }
        if self.combined is not None:
            by = self.combined_by_condition.set_index("condition")
            summary["combined"] = {
                **_plain(self.combined),
                "flagged_fraction": self.combined["flagged"] / max(self.combined["images"], 1),
                "by_condition": {name: _plain(row) for name, row in by.iterrows()},
            }
        if self.photos is not None:
            summary["photos"] = self.photos
        return summary


def _plain(row: dict | pd.Series) -> dict:
    """A row of counts as JSON-ready numbers (None for what could not be measured)."""
    return {name: _number(value) for name, value in row.items()}


def _number(value) -> int | float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def _non_digit_summary(table: pd.DataFrame) -> dict:
    names = ("images", "no_digit", "flagged", "answered")
    by_kind = {row.condition: _plain({name: getattr(row, name) for name in names}) for row in table.itertuples()}
    return {**{name: int(table[name].sum()) for name in names}, "by_kind": by_kind}


def score(
    model, rendered: RenderedBenchmark, photos_folder: str | None = None, unsure_below: float = 0.0
) -> BenchmarkResult:
    """`model` read every rendered photo: per block of digit photos, accuracy (no digit found counts as
    wrong), how many were flagged unsure (confidence below `unsure_below`, the threshold the training
    chose) and how often the rest were right; per kind of photo without a digit, how many got a digit
    not flagged unsure; plus a labelled folder of real photos, when given. The 4,000-px photo is timed
    here, not while rendering: this runs after training, on a quiet machine, as a user waits."""
    from .inference import probabilities

    probs = probabilities(model, rendered.inputs)
    predicted, confidence = probs.argmax(axis=1), probs.max(axis=1, initial=0.0)
    counts = partial(_counts, rendered=rendered, predicted=predicted, confidence=confidence, unsure_below=unsure_below)
    rows, non_digits = [], []  # the columns each table needs are picked below
    for index, block in enumerate(rendered.blocks.itertuples(index=False)):
        row = {**block._asdict(), **counts(rendered.block == index)}
        (non_digits if block.kind == "non-digit" else rows).append(row)
    combined_blocks = [row.Index for row in rendered.blocks.itertuples() if row.kind == COMBINED]
    combined = np.isin(rendered.block, combined_blocks)
    drawn = [{"condition": n, **counts(combined & rendered.drawn[:, i])} for i, n in enumerate(rendered.drawn_names)]
    return BenchmarkResult(
        pd.DataFrame(rows)[DIGIT_COLUMNS + ["answered_correct"]],
        rendered.examples,
        time_large_photo(rendered.seed),
        _photos_result(model, photos_folder),
        pd.DataFrame(non_digits, columns=NON_DIGIT_COLUMNS),
        pd.DataFrame(drawn if combined_blocks else []),
        counts(combined) if combined_blocks else None,
        unsure_below,
    )


def _photos_result(model, photos_folder: str | None) -> dict | None:
    """Accuracy on a labelled folder of real photos, with the mistakes named (None: no folder)."""
    if not photos_folder:
        return None
    from .inference import evaluate

    evaluation = evaluate(model, photos_folder)
    wrong = evaluation.table[~evaluation.table.correct.astype(bool)]
    return {
        "folder": str(photos_folder),
        "images": int(len(evaluation.table)),
        "correct": int(evaluation.table.correct.sum()),
        "accuracy": evaluation.accuracy,
        "mistakes": [f"{r.file}: {r.label} read as {r.digit}" for r in wrong.itertuples()],
    }


def source_digits(mnist_npz, usps_npz=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The benchmark's sources: MNIST's test split, and USPS's when a (non-empty) file is given."""
    from ..data.arrays import load_splits

    test = load_splits(mnist_npz)["test"]
    sources = {"mnist test": (test.images, test.labels)}
    usps = load_splits(usps_npz).get("test") if usps_npz is not None else None
    if usps is not None and len(usps.labels):
        sources["usps test"] = (usps.images, usps.labels)
    return sources


def summary_markdown(summary: dict) -> str:
    """The benchmark's summary in Markdown (templates/photo_benchmark.md.j2; also part of the model card)."""
    from .markdown import markdown

    return markdown("photo_benchmark.md.j2", summary=summary)
