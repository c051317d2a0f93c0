"""The recipe benchmark's pieces that do not need a workflow run (the run itself is measured,
not tested: README, "Speed")."""

import yaml

from tools.benchmark_recipes import REDUCED_EX1, merge_overrides


def test_overrides_of_one_section_merge_and_the_later_wins():
    merged = merge_overrides([REDUCED_EX1, "ex1={keras_backend: jax, seeds: [0, 1]}", "ex3={epochs: 2}"])
    assert len(merged) == 2
    key, _, value = merged[0].partition("=")
    assert key == "ex1"
    assert yaml.safe_load(value) == {
        "depths": [5, 40],
        "seeds": [0, 1],
        "gradient_epochs": [0, 3],
        "figure_epochs": [3, 0],
        "keras_backend": "jax",
    }
    assert merged[1] == "ex3={epochs: 2}"
    assert "\n" not in merged[0]  # one --config argument each, however long


def test_a_scalar_override_replaces_the_section():
    assert merge_overrides(["ex3={epochs: 2}", "ex3=null"]) == ["ex3=null"]
