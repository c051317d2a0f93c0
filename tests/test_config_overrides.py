"""Overrides from the command line: `--config` strings converted by the schema's types, and bad
values reported with their key and what is allowed, whether given by --config or --configfile."""

import copy
import subprocess
import sys

import pytest
import yaml
from snakemake.cli import parse_config
from snakemake.utils import update_config, validate

from digitstudy.config import ConfigError, check_config, coerce_overrides, load_schema
from tests.conftest import REPO

SCHEMA_PATH = REPO / "src" / "digitstudy" / "config.schema.yaml"
SHIPPED = yaml.safe_load((REPO / "config.yaml").read_text())


@pytest.fixture(scope="module")
def schema():
    return load_schema(SCHEMA_PATH)


def _merged(overrides: dict) -> dict:
    """config.yaml with overrides on top, merged the way Snakemake merges them."""
    config = copy.deepcopy(SHIPPED)
    update_config(config, overrides)
    return config


def _through_config(argument: str, schema) -> dict:
    """What the Snakefile checks after `snakemake --config ARGUMENT`."""
    return coerce_overrides(_merged(parse_config([argument])), schema)


def _through_configfile(text: str, tmp_path, schema) -> dict:
    path = tmp_path / "override.yaml"
    path.write_text(text)
    return coerce_overrides(_merged(yaml.safe_load(path.read_text())), schema)


# The override in YAML | the key the message must name | what it must say is allowed.
BAD = [
    tuple(row.split(" | "))
    for row in """
ex1: {epochs: ten} | 'ex1.epochs' is the string 'ten', which is not an integer | an integer >= 1
ex1: {epochs: 0} | 'ex1.epochs' is 0 | an integer >= 1
ex3: {ensemble_size: two} | 'ex3.ensemble_size' is the string 'two' | an integer >= 1
ex1: {learning_rate: -0.1} | 'ex1.learning_rate' is -0.1 | a number > 0
ex1: {activations: [relu, swishh]} | 'ex1.activations.1' is the string 'swishh' | one of relu, tanh, sigmoid, lecun, elu
data_summary: {samples_per_class: 50} | 'data_summary.samples_per_class' is 50 | an integer from 1 to 20
ex2: {padding: full} | 'ex2.padding' is the string 'full' | one of same, valid
mnist: {source: synthetc} | 'mnist.source' is the string 'synthetc' | one of auto, download, pypi-mirror; or a path
ex1: {epoch: 5} | unknown config key 'ex1.epoch' | Did you mean 'epochs'?
ex1: {depths: []} | 'ex1.depths' is [] | a list of integers >= 1 (at least 1)
ex3: {train_subset: 50} | 'ex3.train_subset' is 50 | an integer >= 100 or null
ex3: {stroke_change_probability: 1.5} | 'ex3.stroke_change_probability' is 1.5 | a number from 0 to 1
ex3: {seed: -1} | 'ex3.seed' is -1 | an integer from 0 to 4294967295
ex1: {validation_size: 70000} | 'ex1.validation_size' is 70000, but ex1 has 60000 training images | allowed: 1 to 59999
ex3: {train_subset: 3000, validation_size: 5000} | 'ex3.validation_size' is 5000, but ex3 has 3000 | allowed: 1 to 2999
ex2: {validation_size: 80000} | 'ex2.validation_size' is 80000, but ex2 has 73257 | allowed: 1 to 73256
ex1: {gradient_epochs: [0, 30]} | 'ex1.gradient_epochs' has [30], beyond 'ex1.epochs' = 20 | epochs from 0 to 20
ex1: {figure_epochs: [2, 5]} | 'ex1.figure_epochs' has [5] | allowed: epochs listed in 'ex1.gradient_epochs'
ex1: {train_subset: 1000, validation_size: 990} | 'ex1.gradient_batch_size' is 32, but only 10 | allowed: 1 to 10
ex3: {seed: 4294967295} | 'ex3.seed' and 'ex3.ensemble_size' give seeds up to 4294967296 | at most 4294967295
""".strip().splitlines()
]


def _as_config_argument(override: str) -> str:
    """`section: {...}` as the KEY=VALUE that `snakemake --config` takes."""
    section, _, value = override.partition(": ")
    return f"{section}={value}"


def _first_problem(config: dict, schema) -> str:
    with pytest.raises(ConfigError) as error:
        check_config(config, schema)
    lines = str(error.value).splitlines()
    assert lines[0] == "Invalid configuration:"
    return lines[1]


@pytest.mark.parametrize("override, names, allowed", BAD, ids=[case[0] for case in BAD])
def test_bad_value_names_key_and_allowed_values_through_config(override, names, allowed, schema):
    problem = _first_problem(_through_config(_as_config_argument(override), schema), schema)
    assert names in problem and allowed in problem, problem


@pytest.mark.parametrize("override, names, allowed", BAD, ids=[case[0] for case in BAD])
def test_bad_value_names_key_and_allowed_values_through_configfile(override, names, allowed, schema, tmp_path):
    problem = _first_problem(_through_configfile(override + "\n", tmp_path, schema), schema)
    assert names in problem and allowed in problem, problem


GOOD = [
    ("ex1={epochs: 3}", ("ex1", "epochs"), 3),
    ("ex3={ensemble_size: 1}", ("ex3", "ensemble_size"), 1),
    ("ex3={learning_rate: 0.0005}", ("ex3", "learning_rate"), 0.0005),
    ("ex2={learning_rate: 1e-4}", ("ex2", "learning_rate"), 1e-4),
    ("ex1={depths: [5, 10]}", ("ex1", "depths"), [5, 10]),
    ("ex1={train_subset: null}", ("ex1", "train_subset"), None),
    (
        "ex3={photo_benchmark: {digits_per_condition: 7, photos: null}}",
        ("ex3", "photo_benchmark", "digits_per_condition"),
        7,
    ),
]


@pytest.mark.parametrize("argument, path, expected", GOOD, ids=[case[0] for case in GOOD])
def test_override_through_config_takes_the_schema_type(argument, path, expected, schema):
    config = _through_config(argument, schema)
    check_config(config, schema)
    validate(config, str(SCHEMA_PATH))
    value = config
    for key in path:
        value = value[key]
    assert value == expected and type(value) is type(expected)


def test_strings_stay_strings_where_the_schema_wants_a_string(schema):
    config = _through_config("ex3={evaluate: {scans: ./digits/12}, predict: [./3]}", schema)
    assert config["ex3"]["evaluate"] == {"scans": "./digits/12"} and config["ex3"]["predict"] == ["./3"]
    config = _through_config("mnist={source: ./42}", schema)
    assert config["mnist"]["source"] == "./42"


def _dry_run(*config_arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--config", *config_arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_snakemake_plans_with_numeric_overrides():
    result = _dry_run("ex1={epochs: 3}", "ex3={ensemble_size: 1}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakemake_names_a_value_that_is_not_a_number():
    result = _dry_run("ex1={epochs: ten}")
    assert result.returncode != 0
    assert "config key 'ex1.epochs' is the string 'ten', which is not an integer" in result.stdout + result.stderr
