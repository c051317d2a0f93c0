"""Settings from the config: the schema is the one source of every default.

The workflow validates the config and fills in the schema's defaults before any job runs
(config.validated_config), so settings classes take every value from their config section and
keep no defaults of their own. Code outside the workflow (tests, benchmarks) takes them from the schema too.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import MISSING
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


def fill_defaults(config: dict, schema: dict | None = None) -> dict:
    """Fill the schema's defaults into a valid `config`, in place, and return it: jsonschema's
    validator, extended so that checking an object's properties first sets the missing ones
    that have a default (the recipe snakemake.utils.validate uses too)."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    check_properties = base.VALIDATORS["properties"]

    def properties(validator, properties, instance, node):
        if isinstance(instance, dict):
            for name, child in properties.items():
                if name not in instance and "default" in child:
                    instance[name] = copy.deepcopy(child["default"])
        yield from check_properties(validator, properties, instance, node)

    jsonschema.validators.extend(base, {"properties": properties})(schema or load_schema()).validate(config)
    return config


def with_defaults(config: dict, schema: dict | None = None) -> dict:
    """A copy of a valid config with the schema's defaults filled in."""
    return fill_defaults(copy.deepcopy(config), schema)


def schema_defaults(section: str | None = None, schema: dict | None = None) -> dict:
    """The default configuration (what config.yaml spells out), or one section of it."""
    defaults = fill_defaults({}, schema)
    return defaults if section is None else defaults[section]


class FromConfig:
    """Base of the settings dataclasses: `Settings.from_config(section)`."""

    @classmethod
    def from_config(cls, section: dict):
        """A settings dataclass from a validated config section: every field without a default of
        its own must be there. Keys the class does not use are ignored; lists become tuples."""
        fields = dataclasses.fields(cls)
        missing = [f.name for f in fields if f.name not in section and f.default is f.default_factory is MISSING]
        if missing:
            raise KeyError(f"{cls.__name__} needs config keys {missing}; is the config validated (defaults filled in)?")
        names = {f.name for f in fields}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in section.items() if k in names})
