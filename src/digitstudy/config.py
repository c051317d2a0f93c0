"""Config validation with messages a user can act on.

jsonschema's own messages say *that* something is wrong; these say which key, what was
given, and what is allowed (with a "did you mean" for typos). Defaults are filled in by
snakemake.utils.validate afterwards, from the same schema.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


def settings_from_section(cls, section: dict):
    """A settings dataclass from a config section; keys the class does not use are ignored,
    lists become tuples (settings are frozen)."""
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in section.items() if k in names})


def load_schema(path: str | os.PathLike) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _key(path) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/"):
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        return node
    return schema


def _allowed_values(schema: dict, root: dict) -> list[str]:
    values = list(schema.get("enum", []))
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        option = _resolve(option, root)
        values += option.get("enum", [])
        if option.get("pattern"):
            values.append("a path (containing '/', or starting with '.', '~' or '/')")
    return [str(value) for value in values]


def _describe(error: jsonschema.ValidationError, root: dict) -> list[str]:
    where = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        messages = []
        for unknown in sorted(set(error.instance) - set(allowed)):
            full = f"{where}.{unknown}" if error.absolute_path else unknown
            guess = difflib.get_close_matches(unknown, allowed, n=1)
            hint = f" Did you mean '{guess[0]}'?" if guess else ""
            messages.append(
                f"unknown config key '{full}'. Allowed keys"
                f"{' under ' + repr(where) if error.absolute_path else ''}: {', '.join(allowed)}.{hint}"
            )
        return messages
    if error.validator in ("enum", "anyOf", "oneOf", "pattern"):
        allowed = _allowed_values(error.schema, root) or [str(error.validator_value)]
        return [f"config key '{where}' is {error.instance!r}; allowed: {'; '.join(allowed)}."]
    if error.validator == "type":
        return [f"config key '{where}' must be of type {error.validator_value}, got {error.instance!r}."]
    return [f"config key '{where}': {error.message}."]


def check_config(config: dict, schema: dict | str | os.PathLike) -> None:
    """Raise ConfigError listing every problem, each naming the key and what is allowed."""
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_describe(error, schema))
    if not problems:
        problems = _cross_checks(config)
    if problems:
        raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))


def _cross_checks(config: dict) -> list[str]:
    """Constraints between keys, which a JSON schema cannot express."""
    problems = []
    ex1 = config.get("ex1", {})
    epochs = ex1.get("epochs", 20)
    gradient_epochs = ex1.get("gradient_epochs", [0, 1, 2, 3])
    late = [e for e in gradient_epochs if e > epochs]
    if late:
        problems.append(f"config key 'ex1.gradient_epochs' has {late}, beyond 'ex1.epochs' = {epochs}.")
    missing = [e for e in ex1.get("figure_epochs", [3, 0]) if e not in gradient_epochs]
    if missing:
        problems.append(
            f"config key 'ex1.figure_epochs' has {missing}; allowed: epochs listed in 'ex1.gradient_epochs' {gradient_epochs}."
        )
    try:
        from .ex2.topology import CnnSpec, TopologyError, shape_trace

        shape_trace(CnnSpec.from_config(config.get("ex2", {})))
    except TopologyError as error:
        problems.append(str(error))
    svhn_train = config.get("svhn", {}).get("standin", {}).get("train_size", 73257)
    if config.get("svhn", {}).get("source") == "synthetic" and config.get("ex2", {}).get("validation_size", 7326) >= svhn_train:
        problems.append(
            f"config key 'ex2.validation_size' must be smaller than 'svhn.standin.train_size' ({svhn_train})."
        )
    return problems
