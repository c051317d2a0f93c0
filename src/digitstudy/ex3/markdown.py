"""The Markdown that Exercise 3 writes (model card, photo benchmark summary) from Jinja templates."""

from __future__ import annotations


def markdown(template: str, **values) -> str:
    """A Markdown template of this package (ex3/templates) filled in; numbers are formatted by
    the filters `fmt` (a format spec), `share` (the same, n/a where there is no value) and `of`
    ("3 of 40 (7.50%)")."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("digitstudy.ex3", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(fmt=format, share=_share, of=_of)
    return environment.get_template(template).render(**values)


def _share(value, spec: str) -> str:
    """A share in a table cell; n/a when there is none (every answer flagged: null in JSON)."""
    return "n/a" if value is None or value != value else format(value, spec)


def _of(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,}" + (f" ({part / whole:.2%})" if whole else "")
