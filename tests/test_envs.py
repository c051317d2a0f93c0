"""The conda env files and pyproject.toml pin the same versions."""

import re
import tomllib

import yaml

from tests.conftest import REPO


def _pins(requirements):
    return dict(re.fullmatch(r"([A-Za-z0-9_.\[\]-]+)==(\S+)", r).groups() for r in requirements if "==" in r)


def test_env_pins_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = _pins(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        pinned.update(_pins(extra))
    env_files = sorted((REPO / "envs").glob("*.yaml"))
    assert env_files
    for env_file in env_files:
        env = yaml.safe_load(env_file.read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
        for name, version in _pins(pip).items():
            assert name in pinned, f"{env_file.name}: {name} is not pinned in pyproject.toml"
            assert pinned[name] == version, f"{env_file.name}: {name}=={version}, pyproject has {pinned[name]}"
