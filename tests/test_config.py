import copy

import pytest
import yaml
from snakemake.utils import validate

from digitstudy.config import ConfigError, check_config, load_schema
from tests.conftest import REPO

SCHEMA_PATH = REPO / "schemas" / "config.schema.yaml"


@pytest.fixture(scope="module")
def schema():
    return load_schema(SCHEMA_PATH)


@pytest.mark.parametrize("path", ["config.yaml", ".test/config.yaml"])
def test_shipped_configs_are_valid(schema, path):
    check_config(yaml.safe_load((REPO / path).read_text()), schema)


def test_unknown_key_is_named_with_allowed_keys(schema):
    with pytest.raises(ConfigError) as error:
        check_config({"svhn": {"sorce": "auto"}}, schema)
    message = str(error.value)
    assert "svhn.sorce" in message and "source" in message and "standin" in message
    assert "Did you mean 'source'" in message


def test_mistyped_keyword_lists_allowed_values(schema):
    with pytest.raises(ConfigError) as error:
        check_config({"svhn": {"source": "synthetc"}}, schema)
    message = str(error.value)
    assert "svhn.source" in message and "synthetic" in message and "download" in message


def test_every_problem_is_reported(schema):
    with pytest.raises(ConfigError) as error:
        check_config({"mnsit": {}, "svhn": {"standin": {"seed": "zero"}}}, schema)
    assert "mnsit" in str(error.value) and "svhn.standin.seed" in str(error.value)


def test_defaults_fill_missing_keys():
    config = {"svhn": {"source": "synthetic"}}
    validate(config, str(SCHEMA_PATH))
    assert config["svhn"]["standin"]["train_size"] == 73257
    assert config["mnist"]["source"] == "auto"
    assert config["writers"]["semeion"]["source"] == "auto"


def _properties(node, path=""):
    for name, child in node.get("properties", {}).items():
        yield f"{path}{name}", child
        yield from _properties(child, f"{path}{name}.")


def test_every_key_has_description_and_default(schema):
    for key, node in _properties(schema):
        assert node.get("description"), f"{key} has no description"
        assert "default" in node, f"{key} has no default"


def test_default_config_equals_schema_defaults(schema):
    """config.yaml spells out every default, so reading it shows the whole configuration."""
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())
    filled = {}
    validate(filled, str(SCHEMA_PATH))
    assert shipped == filled
    assert copy.deepcopy(shipped) == shipped
