"""Exercise 1 as a lab: the grid's setups (activation, initialiser, optimiser), their folders,
and the tables, figures and sentences for a grid that varies more than the activation."""

import numpy as np
import pandas as pd
import pytest

from digitstudy.config import validated_config
from digitstudy.ex1 import analysis, grid
from digitstudy.report import observations as obs
from digitstudy.report import tables
from digitstudy.settings import schema_defaults

PROVENANCE = {"dataset": "mnist", "source": "test"}
MNIST_TEST_LABELS = np.repeat(np.arange(10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])


def _ex1(**overrides):
    return {**schema_defaults("ex1"), **overrides}


def test_default_grid_is_the_assignments_with_the_same_folders():
    setups = grid.setups(_ex1())
    assert [s.slug for s in setups] == ["relu", "tanh", "sigmoid", "lecun"]
    assert {(s.kernel_initializer, s.optimizer, s.learning_rate) for s in setups} == {("glorot_uniform", "sgd", 0.01)}
    runs = grid.runs(_ex1())
    assert len(runs) == 36 and runs[0] == {
        "setup": "relu",
        "activation": "relu",
        "kernel_initializer": "glorot_uniform",
        "optimizer": "sgd",
        "depth": 5,
        "seed": 0,
    }


def test_axes_cross_and_folders_name_what_differs_from_the_assignment():
    ex1 = _ex1(
        activations=["relu"],
        kernel_initializers=["glorot_uniform", "he_normal"],
        optimizers=["sgd", {"name": "adam", "learning_rate": 0.001}],
    )
    setups = {s.slug: s for s in grid.setups(ex1)}
    assert list(setups) == ["relu", "relu-adam", "relu-he_normal", "relu-he_normal-adam"]
    assert setups["relu-adam"].learning_rate == 0.001 and setups["relu-he_normal"].learning_rate == 0.01


def test_listed_setups_fix_some_axes_and_cross_the_rest():
    ex1 = _ex1(
        optimizers=["sgd", "adam"],
        setups=[
            {"activation": "relu"},
            {"activation": "selu", "kernel_initializer": "lecun_normal", "optimizer": "adam"},
        ],
    )
    assert [s.slug for s in grid.setups(ex1)] == ["relu", "relu-adam", "selu-lecun_normal-adam"]
    assert grid.activation_names(ex1) == ["relu", "selu"]


def test_an_optimiser_listed_twice_is_refused_by_the_config_check():
    with pytest.raises(Exception, match="'ex1.optimizers' lists 'adam' twice"):
        validated_config({"ex1": {"optimizers": ["adam", {"name": "adam", "learning_rate": 0.1}]}})


@pytest.mark.parametrize(
    ("ex1", "named"),
    [
        ({"kernel_initializers": ["he_normall"]}, "ex1.kernel_initializers.0"),
        ({"optimizers": ["adamm"]}, "ex1.optimizers.0"),
        ({"setups": [{"activation": "relu", "optimiser": "adam"}]}, "ex1.setups.0"),
    ],
)
def test_unknown_names_are_refused_naming_the_key(ex1, named):
    with pytest.raises(Exception, match=named.replace(".", r"\.")) as error:
        validated_config({"ex1": ex1})
    if "kernel_initializers" in named:
        assert "he_normal" in str(error.value) and "glorot_uniform" in str(error.value)


def _metrics(rows):
    """rows: (activation, initialiser, optimiser, depth, accuracy) for seeds 0 and 1."""
    return pd.DataFrame(
        [
            {
                "activation": a,
                "kernel_initializer": i,
                "optimizer": o,
                "learning_rate": 0.01,
                "depth": d,
                "seed": s,
                "test_accuracy": acc,
                "test_loss": 1.0,
                "epochs": 20,
                "diverged": False,
                "train_seconds": 1.0,
            }
            for a, i, o, d, acc in rows
            for s in (0, 1)
        ]
    )


GRID = [
    ("relu", "glorot_uniform", "sgd", 40, 0.1135),
    ("relu", "he_normal", "sgd", 40, 0.95),
    ("relu", "glorot_uniform", "sgd", 5, 0.97),
    ("relu", "he_normal", "sgd", 5, 0.97),
]


def test_sentences_name_what_trained_and_collapsed_per_axis():
    facts = analysis.observations(_metrics(GRID), pd.DataFrame(columns=["param"]), MNIST_TEST_LABELS)
    assert facts["collapsed"] == ["relu, glorot_uniform-40"]
    effects = facts["axes"]["kernel_initializer"]
    assert effects["values"]["he_normal"] == {"configurations": 2, "trained": 2, "collapsed": 0}
    assert effects["decides"] == [
        {
            "where": {"activation": "relu", "depth": 40},
            "trains_with": ["he_normal"],
            "collapses_with": ["glorot_uniform"],
        }
    ]
    text = " ".join(obs.ex1_scores(facts))
    assert "Collapsed to chance in every seed: ReLU (glorot_uniform) at depth 40" in text
    assert "Kernel initialiser: glorot_uniform trained in 1 and collapsed in 1 of 2" in text
    assert "Where only the kernel initialiser differs: he_normal trains and glorot_uniform collapses with relu" in text


def test_a_grid_of_activations_only_adds_no_axis_sentences():
    rows = [(a, "glorot_uniform", "sgd", 5, 0.9) for a in ("relu", "tanh")]
    facts = analysis.observations(_metrics(rows), pd.DataFrame(columns=["param"]), MNIST_TEST_LABELS)
    assert facts["axes"] == {} and [c["setup"] for c in facts["configurations"]] == ["relu", "tanh"]


def test_scores_table_shows_a_column_per_varying_axis(tmp_path):
    path = tmp_path / "scores.csv"
    analysis.scores_table(_metrics(GRID)).to_csv(path, index=False)
    table = tables.scores(path)
    assert table.columns[:3] == ["activation", "initialiser", "depth"]
    only_activation = tmp_path / "one.csv"
    analysis.scores_table(_metrics(GRID[:1])).to_csv(only_activation, index=False)
    assert tables.scores(only_activation).columns[:2] == ["activation", "depth"]


def test_figures_facet_by_optimiser_and_label_setups():
    from digitstudy.ex1.figures import gradient_grid, scores_chart

    rows = GRID + [(a, i, "adam", d, acc) for a, i, _, d, acc in GRID]
    table = analysis.scores_table(_metrics(rows))
    figure = scores_chart(table, 0.1235, PROVENANCE)
    panels = [axis for axis in figure.axes if axis.get_title()]
    assert [p.get_title().rsplit(", ", 1)[-1] for p in panels] == ["adam", "sgd"]
    labels = {text.get_text() for p in panels for text in p.get_legend().get_texts()}
    assert {"relu, glorot_uniform, adam", "relu, he_normal, sgd"} <= labels
    gradients = pd.DataFrame(
        [
            {**dict(zip(grid.AXES, (a, i, o))), "depth": d, "seed": 0, "epoch": 0, "layer": layer, "param": "kernel"}
            | {"max_abs": 10.0**-layer}
            for a, i, o, d, _ in rows
            for layer in (1, 2)
        ]
    )
    assert len(gradient_grid(gradients, 0, PROVENANCE).axes) == 4  # 2 optimisers x 2 depths


def test_lecun_comparison_uses_one_shared_initialiser_and_optimiser():
    metrics = _metrics(
        [
            ("lecun", "he_normal", "sgd", 5, 0.9),
            ("tanh", "he_normal", "sgd", 5, 0.9),
            ("tanh", "glorot_uniform", "sgd", 5, 0.9),
        ]
    )
    (subset,), chosen = analysis.comparison_subset([metrics], ["tanh", "lecun"])
    assert chosen == {"kernel_initializer": "he_normal", "optimizer": "sgd"}
    assert set(subset.kernel_initializer) == {"he_normal"} and set(subset.activation) == {"lecun", "tanh"}
