"""Settings dataclasses from config sections (already validated and defaulted by the workflow)."""

from __future__ import annotations

import dataclasses


def settings_from_section(cls, section: dict):
    """A settings dataclass from a config section; keys the class does not use are ignored,
    lists become tuples (settings are frozen)."""
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in section.items() if k in names})
