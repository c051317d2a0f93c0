"""A photographed sheet of handwritten digits becomes a labelled test set.

The sheet goes through the photo preprocessing; its strokes are grouped into digits (a 5's bar
joins, specks do not count), the digits into rows (which may drift), and each row is paired with
its label string. A row with more or fewer digits than labels, or a component as wide as two
digits, is reported by row and nothing is written: a crop never gets a label it may not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .preprocess import dark_ink_on_light, grow_into, ink_map, pad_with_paper, read_gray, stroke_masks, working_copy

SHEET_SIDE = 1600  # longest side of the working copy: digits of a 10 x 6 sheet stay ~80 px tall
MARGIN = 0.25  # paper kept around each crop, as a fraction of the digit's larger side


class SheetError(ValueError):
    """The sheet does not match its labels; the message names the row and the boxes found."""


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def joined(self, other: "Box") -> "Box":
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def scaled(self, factor: float) -> "Box":
        return Box(*(round(v * factor) for v in (self.x0, self.y0, self.x1, self.y1)))


def _components(gray: np.ndarray) -> tuple[list[Box], float]:
    """Boxes of the ink's connected parts in the working copy, and its scale to `gray`."""
    dark, _ = dark_ink_on_light(working_copy(gray, SHEET_SIDE))
    height, width = dark.shape
    padded, pad = pad_with_paper(dark)
    strong, weak, enough = stroke_masks(ink_map(padded), (pad, pad, pad + height, pad + width))
    # Each part is grown into the faint ink joined to it (hysteresis), as for single digits.
    mask = grow_into(weak, strong > 0)[pad : pad + height, pad : pad + width].astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    # What lies along the photo's edge is not writing on the sheet: the table, the sheet's edge,
    # dark corners, a shadow's rim.
    edge = max(2, round(0.015 * max(width, height)))
    boxes = [
        Box(int(x), int(y), int(x + w), int(y + h))
        for x, y, w, h, area in stats[1:]
        if area >= enough / 4 and x > edge and y > edge and x + w < width - edge and y + h < height - edge
    ]
    return boxes, gray.shape[0] / height


def _digits(parts: list[Box]) -> list[Box]:
    """Parts that belong to one digit join (they overlap in x and nearly touch in y); what is
    left that is far smaller than a digit is a speck or a dot and is dropped."""
    if not parts:
        return []
    typical = float(np.median([p.height for p in parts if p.height >= 0.5 * max(q.height for q in parts)]))

    def joins(a: Box, b: Box) -> bool:
        overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
        gap_y = max(a.y0, b.y0) - min(a.y1, b.y1)
        return overlap > 0.5 * min(a.width, b.width) and gap_y < 0.35 * typical and a.joined(b).height < 1.5 * typical

    boxes = sorted(parts, key=lambda b: b.x0)
    while True:  # join the first pair that joins, until none does
        pairs = ((i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if joins(boxes[i], boxes[j]))
        i, j = next(pairs, (None, None))
        if i is None:
            return [b for b in boxes if b.height >= 0.4 * typical]
        boxes[i] = boxes[i].joined(boxes.pop(j))


def _rows(digits: list[Box]) -> list[list[Box]]:
    """Digits in reading order. Taken from left to right, a digit joins the row whose last digit
    is level with it (within half a digit's height), so a row may drift up or down."""
    if not digits:
        return []
    typical = float(np.median([d.height for d in digits]))
    rows: list[list[Box]] = []
    for digit in sorted(digits, key=lambda d: d.cx):
        level = [r for r in rows if abs(r[-1].cy - digit.cy) < 0.5 * typical and r[-1].cx < digit.cx]
        if level:
            min(level, key=lambda r: abs(r[-1].cy - digit.cy)).append(digit)
        else:
            rows.append([digit])
    return sorted(rows, key=lambda r: float(np.mean([d.cy for d in r])))


def find_rows(gray: np.ndarray) -> tuple[list[list[Box]], list[str]]:
    """The sheet's digits in rows (boxes in `gray`'s pixels), and hints of what may be wrong:
    components about as wide as two digits (touching digits?), by row. A hint explains a row
    whose count does not match its labels; a row that matches is cut as found."""
    parts, scale = _components(gray)
    rows = [[d.scaled(scale) for d in row] for row in _rows(_digits(parts))]
    widths = [d.width for row in rows for d in row]
    typical = float(np.median(widths)) if widths else 0.0
    problems = [
        f"row {r}, digit {c} at x={d.x0}..{d.x1}: as wide as {d.width / typical:.1f} digits (touching digits?)"
        for r, row in enumerate(rows, start=1)
        for c, d in enumerate(row, start=1)
        if d.width > 1.6 * typical and d.width > 1.1 * d.height
    ]
    return rows, problems


def read_labels(labels: list[str]) -> list[str]:
    """Label strings, one per row; a single existing file holds one per line."""
    if len(labels) == 1 and Path(labels[0]).is_file():
        labels = Path(labels[0]).read_text().split()
    bad = [text for text in labels if not text.isdigit()]
    if bad:
        raise SheetError(f"labels must be digits only, one string per row; got {bad}")
    return labels


def check_image(gray: np.ndarray, rows: list[list[Box]], labels: list[str] | None) -> np.ndarray:
    """The sheet with each box and its assigned label (or its position, when unlabelled)."""
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    thickness = max(2, round(max(gray.shape) / 500))
    for r, row in enumerate(rows):
        for c, box in enumerate(row):
            text = labels[r][c] if labels is not None else f"{r + 1}.{c + 1}"
            at, size = (box.x0, max(0, box.y0 - thickness * 2)), max(0.6, box.height / 60)
            cv2.rectangle(image, (box.x0, box.y0), (box.x1, box.y1), (0, 0, 255), thickness)
            cv2.putText(image, text, at, cv2.FONT_HERSHEY_SIMPLEX, size, (0, 160, 0), thickness, cv2.LINE_AA)
    return image


def _describe(row: list[Box]) -> str:
    return ", ".join(f"x={b.x0}..{b.x1}" for b in row)


def match(rows: list[list[Box]], labels: list[str], hints: list[str] = ()) -> None:
    """Raise SheetError, naming the rows (with their hints), unless each row has one box per label."""
    if len(rows) != len(labels):
        raise SheetError(
            f"found {len(rows)} rows of digits, but {len(labels)} label strings: "
            + "; ".join(f"row {r} has {len(row)} ({_describe(row)})" for r, row in enumerate(rows, 1))
        )
    messages = []
    for r, (row, text) in enumerate(zip(rows, labels), start=1):
        if len(row) != len(text):
            why = [hint for hint in hints if hint.startswith(f"row {r},")]
            messages.append(
                f"row {r}: found {len(row)} digits ({_describe(row)}), but the labels {text!r} have "
                f"{len(text)}" + (f" - {'; '.join(why)}" if why else "")
            )
    if messages:
        raise SheetError("; ".join(messages))


def cut_sheet(photo: str | Path, labels: list[str], out: str | Path) -> list[Path]:
    """Cut one sheet into DIR/<digit>/<sheet>_r<row>_c<col>.png and write DIR/<sheet>_check.png.
    Raises SheetError (and writes no crops) when the digits found do not match the labels."""
    photo, out = Path(photo), Path(out)
    gray = read_gray(photo)
    rows, hints = find_rows(gray)
    labels = read_labels(labels)
    out.mkdir(parents=True, exist_ok=True)
    check = out / f"{photo.stem}_check.png"
    try:
        match(rows, labels, hints)
    except SheetError as error:
        cv2.imwrite(str(check), check_image(gray, rows, None))
        raise SheetError(f"{photo.name}: {error} (boxes found: {check})") from None
    written = []
    for r, (row, text) in enumerate(zip(rows, labels), start=1):
        for c, (box, label) in enumerate(zip(row, text), start=1):
            margin = round(MARGIN * max(box.width, box.height))
            crop = gray[max(0, box.y0 - margin) : box.y1 + margin, max(0, box.x0 - margin) : box.x1 + margin]
            path = out / label / f"{photo.stem}_r{r}_c{c}.png"
            path.parent.mkdir(exist_ok=True)
            cv2.imwrite(str(path), crop)
            written.append(path)
    cv2.imwrite(str(check), check_image(gray, rows, labels))
    return written
