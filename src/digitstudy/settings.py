"""Settings from the config: the schema is the one source of every default.

The workflow validates the config and fills in the schema's defaults before any job runs, so
settings classes take every value from their config section and keep no defaults of their own.
Code that runs outside the workflow (tests, benchmarks) takes the defaults from the schema too.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from importlib import resources
from pathlib import Path

import yaml

# Package data, so that an installed package (not only a checkout) finds it; the Snakefile
# validates against the same file.
SCHEMA = resources.files("digitstudy") / "config.schema.yaml"


def load_schema(path: str | os.PathLike | None = None) -> dict:
    return yaml.safe_load(SCHEMA.read_text() if path is None else Path(path).read_text())


def resolve_ref(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/"):
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        return node
    return schema


def with_defaults(config: dict, schema: dict) -> dict:
    """A copy of a valid config with the schema's defaults filled in (as snakemake.utils.validate
    does afterwards), so that the cross-checks read every value from one place: the schema."""
    config = copy.deepcopy(config)

    def fill(value, node):
        node = resolve_ref(node, schema)
        if not isinstance(value, dict):
            return
        for key, child in node.get("properties", {}).items():
            child = resolve_ref(child, schema)
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                fill(value[key], child)

    fill(config, schema)
    return config


def schema_defaults(section: str | None = None, schema: dict | None = None) -> dict:
    """The default configuration (what config.yaml spells out), or one section of it."""
    defaults = with_defaults({}, schema or load_schema())
    return defaults if section is None else defaults[section]


def settings_from_section(cls, section: dict):
    """A settings dataclass from a validated config section: every field without a default of
    its own must be there. Keys the class does not use are ignored; lists become tuples."""
    fields = dataclasses.fields(cls)
    missing = [f.name for f in fields if f.name not in section
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise KeyError(f"{cls.__name__} needs config keys {missing}; is the config validated (defaults filled in)?")
    names = {f.name for f in fields}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in section.items() if k in names})


class FromConfig:
    """Base of the settings dataclasses: `Settings.from_config(section)` (see settings_from_section)."""

    @classmethod
    def from_config(cls, section: dict):
        return settings_from_section(cls, section)
