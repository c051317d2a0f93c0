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
        text = ""
        for index, cell in enumerate(cells):
            text += cell if index == 0 else (" " if index % 2 else r" \qquad ") + cell
        text = " ".join(text.split())
        if text:
            rows.append(text.rstrip(","))  # punctuation belongs to the prose layout
    return rows


def _prose(text: str) -> str:
    """Paragraphs with inline math; everything else escaped."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if not paragraph.strip():
            continue
        pieces, position = [], 0
        for match in _INLINE.finditer(paragraph):
            pieces.append(html.escape(_text_macros(paragraph[position : match.start()])))
            pieces.append(math(match.group(1)))
            position = match.end()
        pieces.append(html.escape(_text_macros(paragraph[position:])))
        out.append("<p>" + " ".join("".join(pieces).split()) + "</p>")
    return "\n".join(out)


def _text_macros(text: str) -> str:
    text = text.replace("~", "\u00a0").replace("--", "\u2013").replace(r"\,", "\u2009")
    leftover = re.search(r"\\[A-Za-z]+", text)
    if leftover:
        raise TheoryError(f"unsupported LaTeX command {leftover.group(0)} in prose: {text.strip()[:80]!r}")
    return text


def tex_to_html(tex: str, heading_level: int = 4) -> str:
    """Convert a theory fragment to HTML with MathML equations."""
    tex = strip_comments(tex)
    parts, position = [], 0
    for block in _BLOCK.finditer(tex):
        parts.append(("prose", tex[position : block.start()]))
        parts.append(("math", block.group(2)))
        position = block.end()
    parts.append(("prose", tex[position:]))
    out = []
    for kind, text in parts:
        if kind == "math":
            rows = align_rows(text)
            out.append('<div class="equations">' + "".join(math(row, display=True) for row in rows) + "</div>")
            continue
        position = 0
        for heading in _HEADING.finditer(text):
            out.append(_prose(text[position : heading.start()]))
            out.append(f"<h{heading_level}>{html.escape(heading.group(1))}</h{heading_level}>")
            position = heading.end()
        out.append(_prose(text[position:]))
    return "\n".join(part for part in out if part)
