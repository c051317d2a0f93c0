"""Theory written once in LaTeX (report/theory/*.tex), shown in the HTML report as MathML.

MathML renders natively in current browsers, so the report needs no script and no network.
Only the subset the theory files use is understood: \\subsection*, paragraphs, inline $...$,
and align / equation environments (each align row becomes one display equation, because
latex2mathml has no alignment environments).
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

_BLOCK = re.compile(r"\\begin\{(align\*?|equation\*?)\}(.*?)\\end\{\1\}", re.S)
_HEADING = re.compile(r"\\subsection\*?\{([^}]*)\}")
_INLINE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)


class TheoryError(ValueError):
    """The theory file uses LaTeX this converter does not understand."""


def strip_comments(tex: str) -> str:
    return "\n".join(re.sub(r"(?<!\\)%.*$", "", line) for line in tex.splitlines())


def math(expression: str, display: bool = False) -> str:
    """One LaTeX math expression as a MathML element."""
    try:
        return convert(expression.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises several unrelated types
        raise TheoryError(f"cannot convert {expression.strip()[:80]!r} to MathML: {error}") from error


def align_rows(body: str) -> list[str]:
    """Rows of an align body as plain expressions: the alignment points (odd '&') are
    dropped, the column-pair separators (even '&') become a wide space."""
    rows = []
    for row in re.split(r"\\\\", body):
        cells = re.split(r"(?<!\\)&", row)
        joined = cells[0] + "".join((" " if i % 2 else r" \qquad ") + c for i, c in enumerate(cells[1:], 1))
        if text := " ".join(joined.split()):
            rows.append(text.rstrip(","))  # punctuation belongs to the prose layout
    return rows


def _prose(text: str) -> str:
    """Paragraphs with inline math; everything else escaped."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if paragraph.strip():
            parts = _INLINE.split(paragraph)  # text and the math between $...$, in turn
            pieces = [math(p) if i % 2 else html.escape(_text_macros(p)) for i, p in enumerate(parts)]
            out.append("<p>" + " ".join("".join(pieces).split()) + "</p>")
    return "\n".join(out)


def _text_macros(text: str) -> str:
    text = text.replace("~", "\u00a0").replace("--", "\u2013").replace(r"\,", "\u2009")
    if leftover := re.search(r"\\[A-Za-z]+", text):
        raise TheoryError(f"unsupported LaTeX command {leftover.group(0)} in prose: {text.strip()[:80]!r}")
    return text


def tex_to_html(tex: str, heading_level: int = 4) -> str:
    """Convert a theory fragment to HTML with MathML equations."""
    out = []
    # _BLOCK.split gives prose, the environment's name and its body, in turn
    for index, part in enumerate(_BLOCK.split(strip_comments(tex))):
        if index % 3 == 2:
            equations = "".join(math(row, display=True) for row in align_rows(part))
            out.append(f'<div class="equations">{equations}</div>')
        elif index % 3 == 0:
            for i, piece in enumerate(_HEADING.split(part)):  # prose and headings in turn
                out.append(f"<h{heading_level}>{html.escape(piece)}</h{heading_level}>" if i % 2 else _prose(piece))
    return "\n".join(part for part in out if part)
