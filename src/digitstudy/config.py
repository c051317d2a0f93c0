"""Config validation with messages a user can act on.

jsonschema's own messages say *that* something is wrong; these say which key, what was
given, and what is allowed (with a "did you mean" for typos). Strings from `--config` are first
converted to the schema's types (coerce_overrides). Defaults are filled in afterwards, from the
same schema (settings.fill_defaults); the cross-field checks read a copy with the defaults filled
in. validated_config does all three: it is the workflow's one validation.
"""

from __future__ import annotations

import difflib
import math
import os
import re

import jsonschema

from .data.splits import training_count
from .ex1.grid import learning_rates
from .settings import fill_defaults, load_schema, resolve_ref, with_defaults


class ConfigError(ValueError):
    pass


def _key(path) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _types(schema: dict, root: dict) -> set[str]:
    """The JSON types a schema node accepts (through $ref, anyOf, oneOf and enum)."""
    schema = resolve_ref(schema, root)
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        types |= _types(option, root)
    for value in schema.get("enum", []):
        types.add({str: "string", bool: "boolean", int: "integer", float: "number"}.get(type(value), "null"))
    return types


_NULLS = {"null", "~", "none"}
_BOOLEANS = {"true": True, "false": False}


def _from_string(text: str, types: set[str]):
    """`text` as the first type in `types` it reads as; the string itself when none fits."""
    word = text.strip().lower()
    if "null" in types and word in _NULLS:
        return None
    if "string" in types:
        return text
    if "boolean" in types and word in _BOOLEANS:
        return _BOOLEANS[word]
    if types & {"integer", "number"} and re.fullmatch(r"[+-]?\d+", text.strip()):
        return int(text)
    if "number" in types:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def coerce_overrides(config: dict, schema: dict | str | os.PathLike) -> dict:
    """Convert, in place, the strings that Snakemake's `--config` hands over for nested values.

    `--config ex1='{epochs: 3}'` arrives as {"ex1": {"epochs": "3"}} (Snakemake reads nested
    values with YAML's BaseLoader, which keeps every scalar a string). Each string whose place
    in the schema wants a number, a boolean or null is converted when it reads as one; one that
    does not ("ten") stays a string, so that validation reports it with its key.
    """
    if not isinstance(schema, dict):
        schema = load_schema(schema)

    def walk(value, node):
        node = resolve_ref(node, schema)
        if isinstance(value, dict):
            # A mapping where the schema allows one of several shapes: the shape with properties.
            options = [resolve_ref(option, schema) for option in node.get("anyOf", []) + node.get("oneOf", [])]
            node = next((option for option in options if "properties" in option), node)
            extra = node.get("additionalProperties")
            for key, item in value.items():
                child = node.get("properties", {}).get(key, extra if isinstance(extra, dict) else None)
                if child is not None:
                    value[key] = walk(item, child)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            value[:] = [walk(item, node["items"]) for item in value]
        elif isinstance(value, str):
            return _from_string(value, _types(node, schema))
        return value

    walk(config, schema)
    return config


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "string": "a string",
    "array": "a list",
    "object": "a mapping of keys",
}


# Validators whose failure is told as "is <value>; allowed: <what the schema allows>".
_SHOWN = set("enum anyOf oneOf pattern type minimum maximum exclusiveMinimum minItems uniqueItems".split())


def _show(value) -> str:
    return f"the string {value!r}" if isinstance(value, str) else repr(value)


def allowed(schema: dict, root: dict) -> str:
    """What a schema node allows, in words: 'an integer >= 1', 'one of relu, tanh', ..."""
    schema = resolve_ref(schema, root)
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "anyOf" in schema or "oneOf" in schema:
        return "; or ".join(allowed(option, root) for option in schema.get("anyOf", []) + schema.get("oneOf", []))
    if "pattern" in schema:
        return "a path (containing '/', or starting with '.', '~' or '/')"
    declared = schema.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    bounds = []
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        bounds.append(f"from {low} to {high}")
    elif low is not None:
        bounds.append(f">= {low}")
    elif high is not None:
        bounds.append(f"<= {high}")
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {schema['exclusiveMinimum']}")
    words = []
    for kind in types:
        word = _TYPE_WORDS.get(kind, kind)
        if kind in ("integer", "number") and bounds:
            word += " " + " and ".join(bounds)
        if kind == "array" and isinstance(schema.get("items"), dict):
            item = allowed(schema["items"], root)
            first, _, rest = item.removeprefix("an ").removeprefix("a ").partition(" ")
            word += f" of {first}s {rest}".rstrip() if item.startswith(("a ", "an ")) else f" of values, each {item}"
            if schema.get("minItems"):
                word += f" (at least {schema['minItems']})"
            if schema.get("uniqueItems"):
                word += ", no repeats"
        words.append(word)
    return " or ".join(words) or "see the schema"


def _describe(error: jsonschema.ValidationError, root: dict) -> list[str]:
    where = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        names = sorted(error.schema.get("properties", {}))
        under = f" under {where!r}" if error.absolute_path else ""
        messages = []
        for unknown in sorted(set(error.instance) - set(names)):
            full = f"{where}.{unknown}" if error.absolute_path else unknown
            guess = difflib.get_close_matches(unknown, names, n=1)
            hint = f" Did you mean '{guess[0]}'?" if guess else ""
            messages.append(f"unknown config key '{full}'. Allowed keys{under}: {', '.join(names)}.{hint}")
        return messages
    if error.validator == "type" and isinstance(error.instance, str):
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in sorted(_types(error.schema, root)))
        return [
            f"config key '{where}' is the string {error.instance!r}, which is not {wanted}; "
            f"allowed: {allowed(error.schema, root)}."
        ]
    if error.validator in _SHOWN:
        return [f"config key '{where}' is {_show(error.instance)}; allowed: {allowed(error.schema, root)}."]
    return [f"config key '{where}': {error.message}; allowed: {allowed(error.schema, root)}."]


def check_config(config: dict, schema: dict | str | os.PathLike) -> None:
    """Raise ConfigError listing every problem, each naming the key and what is allowed."""
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_describe(error, schema))
    if not problems:
        problems = _cross_checks(with_defaults(config, schema))
    if problems:
        raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))


# Training-set sizes of the published sets, for checks made before anything is downloaded.
MNIST_TRAIN = 60_000
SVHN_TRAIN = 73_257
SEED_LIMIT = 2**32 - 1


def _split_problems(section: str, settings: dict, available: int, what: str) -> list[str]:
    count = training_count(available, settings["train_subset"])
    if settings["validation_size"] < count:
        return []
    if settings["train_subset"]:
        what += f", with 'train_subset' = {settings['train_subset']}"
    return [
        f"config key '{section}.validation_size' is {settings['validation_size']}, but {section} has "
        f"{count} training images ({what}); allowed: 1 to {count - 1}, so that some are left to train on."
    ]


def _cross_checks(config: dict) -> list[str]:
    """Constraints between keys, which a JSON schema cannot express (config has its defaults)."""
    problems = []
    ex1, ex2, ex3 = config["ex1"], config["ex2"], config["ex3"]

    problems += _split_problems("ex1", ex1, MNIST_TRAIN, f"MNIST's {MNIST_TRAIN}")
    left = training_count(MNIST_TRAIN, ex1["train_subset"]) - ex1["validation_size"]
    if 0 < left < ex1["gradient_batch_size"]:
        problems.append(
            f"config key 'ex1.gradient_batch_size' is {ex1['gradient_batch_size']}, but only {left} training "
            f"images remain after the validation split; allowed: 1 to {left}."
        )
    late = [e for e in ex1["gradient_epochs"] if e > ex1["epochs"]]
    if late:
        problems.append(
            f"config key 'ex1.gradient_epochs' has {late}, beyond 'ex1.epochs' = {ex1['epochs']}; "
            f"allowed: epochs from 0 to {ex1['epochs']}."
        )
    try:
        learning_rates(ex1)
    except ValueError as error:
        problems.append(str(error))
    missing = [e for e in ex1["figure_epochs"] if e not in ex1["gradient_epochs"]]
    if missing:
        problems.append(
            f"config key 'ex1.figure_epochs' has {missing}; allowed: epochs listed in 'ex1.gradient_epochs' "
            f"{ex1['gradient_epochs']}."
        )

    from .ex2.topology import CnnSpec, TopologyError, shape_trace

    try:
        shape_trace(CnnSpec.from_config(ex2))
    except TopologyError as error:
        problems.append(str(error))
    svhn = config["svhn"]
    standin = svhn["standin"]["train_size"]
    if svhn["source"] == "synthetic":
        svhn_train, what = standin, f"'svhn.standin.train_size' = {standin}"
    elif svhn["source"] == "auto" and standin < SVHN_TRAIN:
        # "auto" falls back to the stand-in when SVHN cannot be had.
        svhn_train, what = standin, f"the stand-in's {standin} if SVHN cannot be downloaded"
    else:
        svhn_train, what = SVHN_TRAIN, f"SVHN's {SVHN_TRAIN}"
    problems += _split_problems("ex2", ex2, svhn_train, what)
    problems += _split_problems("ex3", ex3, MNIST_TRAIN, f"at least MNIST's {MNIST_TRAIN}")
    last_seed = ex3["seed"] + ex3["ensemble_size"] - 1
    if last_seed > SEED_LIMIT:
        problems.append(
            f"config keys 'ex3.seed' and 'ex3.ensemble_size' give seeds up to {last_seed} (the ensemble's "
            f"networks take seed, seed+1, ...); allowed: at most {SEED_LIMIT}."
        )
    return problems


def validated_config(config: dict, schema: dict | str | os.PathLike | None = None) -> dict:
    """The workflow's config, checked and completed in place: strings from `--config` converted
    (coerce_overrides), every problem named with its key and what is allowed (check_config,
    raising ConfigError), then the schema's defaults filled in."""
    schema = load_schema(schema) if not isinstance(schema, dict) else schema
    coerce_overrides(config, schema)
    check_config(config, schema)
    return fill_defaults(config, schema)
