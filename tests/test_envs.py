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


def test_every_rule_env_lists_what_its_script_imports():
    from tools.env_check import missing_by_rule, workflow_rules

    rules = workflow_rules()
    assert len([r for r in rules if r.script]) >= 20, "the rules' scripts were not found"
    problems = missing_by_rule(rules)
    assert not problems, "\n".join(f"rule {rule}: {'; '.join(m)}" for rule, m in problems.items())


def test_import_analysis_follows_the_package_and_skips_type_checking_imports():
    from tools.env_check import reached_modules

    package, external = reached_modules(REPO / "scripts" / "ex3_train.py")
    # Reached through digitstudy.ex3.recogniser -> .preprocess (not imported by the script itself).
    assert {"digitstudy.ex3.preprocess", "digitstudy.settings"} <= package
    assert {"cv2", "PIL", "keras", "tensorflow", "numpy"} <= external
    # ex1.runs imports ex1.train only for annotations: collecting runs needs no Keras.
    _, collect = reached_modules(REPO / "scripts" / "ex1_collect.py")
    assert not {"keras", "tensorflow"} & collect


def test_env_check_names_a_missing_distribution(tmp_path):
    from tools.env_check import Rule, missing_by_rule

    env = yaml.safe_load((REPO / "envs" / "train.yaml").read_text())
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    pip[:] = [r for r in pip if not r.startswith("opencv")]
    stripped = tmp_path / "train.yaml"
    stripped.write_text(yaml.safe_dump(env))
    problems = missing_by_rule([Rule("ex3_train", stripped, REPO / "scripts" / "ex3_train.py")])
    assert problems == {"ex3_train": ["opencv-python-headless (imported, not in train.yaml)"]}


def test_every_env_installs_the_package_after_creation():
    for env_file in sorted((REPO / "envs").glob("*.yaml")):
        post_deploy = env_file.with_suffix(".post-deploy.sh")
        assert post_deploy.is_file(), f"{post_deploy.name} missing"
        assert "--no-deps --editable" in post_deploy.read_text()
