import pytest
import yaml
from snakemake.utils import validate

from digitstudy.config import ConfigError, check_config, load_schema
from tests.conftest import REPO

SCHEMA_PATH = REPO / "src" / "digitstudy" / "config.schema.yaml"


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


SETTINGS = [
    ("ex1", "digitstudy.ex1.train", "TrainSettings", set()),
    ("ex2", "digitstudy.ex2.train", "CnnTrainSettings", set()),
    ("ex2", "digitstudy.ex2.topology", "CnnSpec", {"input_shape", "classes"}),
    ("ex3", "digitstudy.ex3.recogniser", "RecogniserSettings", set()),
]


@pytest.mark.parametrize("section, module, name, not_config", SETTINGS, ids=[s[2] for s in SETTINGS])
def test_settings_classes_take_their_defaults_from_the_schema(schema, section, module, name, not_config):
    """config.yaml, the schema and the code agree: the code keeps no defaults of its own."""
    import dataclasses
    import importlib

    from digitstudy.settings import schema_defaults

    cls = getattr(importlib.import_module(module), name)
    fields = dataclasses.fields(cls)
    assert {f.name for f in fields} - not_config <= set(schema["properties"][section]["properties"])
    for field in fields:
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        assert has_default == (field.name in not_config), f"{name}.{field.name}"
    settings = cls.from_config(schema_defaults(section))
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())[section]
    for field in fields:
        if field.name not in not_config:
            value = getattr(settings, field.name)
            assert (list(value) if isinstance(value, tuple) else value) == shipped[field.name], field.name


def test_settings_without_a_validated_section_name_the_missing_keys():
    from digitstudy.ex1.train import TrainSettings

    with pytest.raises(KeyError, match="validation_size"):
        TrainSettings.from_config({"epochs": 3})
