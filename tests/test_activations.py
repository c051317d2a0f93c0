"""Activations by Keras name: the allowed names, f' by automatic differentiation against analytic
derivatives, the range of f' measured on the grid, and LeCun's activation saved and loaded."""

import json
import math
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
import yaml

from digitstudy.config import ConfigError, check_config, load_schema
from digitstudy.ex1.activations import ACTIVATIONS, LEFT_OUT, check_activation, describe_range
from digitstudy.ex1.keras_activations import derivative, derivative_range, keras_activation, lecun, values
from tests.conftest import REPO

SCHEMA_PATH = REPO / "src" / "digitstudy" / "config.schema.yaml"


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _sech2(x):
    with np.errstate(over="ignore"):
        return 1.0 / np.cosh(x) ** 2


# The oracle: f and f' written out by hand (float64). relu'(0) is 0, as every backend takes it.
ANALYTIC = {
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "tanh": (np.tanh, _sech2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * _sigmoid(-x)),
    "lecun": (
        lambda x: 1.7159 * np.tanh(2 * x / 3) + 0.01 * x,
        lambda x: 1.7159 * 2 / 3 * _sech2(2 * x / 3) + 0.01,
    ),
}

# (range as text, min, attained?, max, attained?) on [-50, 50]: open where f' only approaches the bound.
RANGES = {
    "relu": ("{0, 1}", 0.0, True, 1.0, True),
    "tanh": ("(0, 1]", 0.0, False, 1.0, True),
    "sigmoid": ("(0, 0.25]", 0.0, False, 0.25, True),
    "lecun": ("(0.01, 1.154]", 0.01, False, 1.7159 * 2 / 3 + 0.01, True),
}


def test_schema_allows_exactly_the_activations():
    ex1 = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]["ex1"]["properties"]
    assert tuple(ex1["activations"]["items"]["enum"]) == ACTIVATIONS
    assert ex1["lecun_baseline"]["enum"] == [a for a in ACTIVATIONS if a != "lecun"]


def test_names_import_without_keras():
    program = "import sys, digitstudy.ex1.activations as a; print(len(a.ACTIVATIONS), 'keras' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(len(ACTIVATIONS)), "False"]


def test_every_keras_activation_is_allowed_or_left_out_with_a_reason():
    functions = {n for n in dir(keras.activations) if not n.startswith("_")} - {"get", "serialize", "deserialize"}
    assert functions == (set(ACTIVATIONS) - {"lecun"}) | set(LEFT_OUT)
    assert not set(LEFT_OUT) & set(ACTIVATIONS) and all(LEFT_OUT.values())


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_resolves_and_is_elementwise(name):
    f = keras.activations.get(keras_activation(name))
    assert f is lecun if name == "lecun" else f is getattr(keras.activations, name)
    x = np.random.default_rng(0).normal(0, 3, (8, 32)).astype(np.float32)
    batch = keras.ops.convert_to_numpy(f(keras.ops.convert_to_tensor(x)))
    assert batch.shape == x.shape
    # Each element alone, as the only unit of its row.
    alone = keras.ops.convert_to_numpy(f(keras.ops.convert_to_tensor(x.reshape(-1, 1)))).reshape(x.shape)
    np.testing.assert_allclose(batch, alone, rtol=1e-5, atol=1e-6)
    assert keras.layers.Dense(32, activation=keras_activation(name))(np.ones((8, 784), np.float32)).shape == (8, 32)


def test_unknown_activation_is_refused_with_the_allowed_names():
    allowed = ", ".join(ACTIVATIONS)
    for refuse in (check_activation, keras_activation, lambda name: derivative(name, [0.0])):
        with pytest.raises(ValueError, match=f"unknown activation 'swishh'; allowed: {allowed}$"):
            refuse("swishh")
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["ex1"]["activations"] = ["relu", "swishh"]
    with pytest.raises(ConfigError, match=f"one of {allowed}"):
        check_config(config, load_schema(SCHEMA_PATH))


@pytest.mark.parametrize("name", ANALYTIC)
def test_automatic_derivative_matches_the_analytic_one(name):
    f, f_prime = ANALYTIC[name]
    x = np.concatenate([np.linspace(-8, 8, 401), [-1e-3, 1e-3, 30.0, -30.0]]).astype(np.float32).astype(float)
    np.testing.assert_allclose(derivative(name, x), f_prime(x), rtol=0, atol=1e-6)
    np.testing.assert_allclose(values(name, x), f(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", RANGES)
def test_measured_range(name):
    text, low, low_attained, high, high_attained = RANGES[name]
    measured = derivative_range(name)
    assert measured["range"] == text
    assert measured["min"] == pytest.approx(low, abs=1e-6) and measured["min_attained"] is low_attained
    assert measured["max"] == pytest.approx(high, abs=1e-6) and measured["max_attained"] is high_attained
    assert measured["x_at_max"] == pytest.approx(0, abs=1e-3)
    assert abs(measured["x_at_min"]) == (0 if name == "relu" else 50)  # relu's kink; the grid's edge


def test_gelu_has_an_interior_minimum():
    measured = derivative_range("gelu")
    # gelu'(x) = Phi(x) + x phi(x) is least where gelu'' = phi(x) (2 - x^2) = 0: at x = -sqrt(2).
    x = -math.sqrt(2)
    least = 0.5 * math.erfc(math.sqrt(2) / math.sqrt(2)) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    assert measured["min"] == pytest.approx(least, abs=1e-6) and least == pytest.approx(-0.1289, abs=1e-4)
    assert measured["x_at_min"] == pytest.approx(x, abs=1e-3) and measured["min_attained"]
    assert measured["max"] == pytest.approx(1 - least, abs=1e-6)  # gelu' - 1/2 is odd
    assert measured["range"] == "[-0.1289, 1.129]"


def test_range_tells_an_approached_bound_from_an_attained_one():
    x = np.linspace(-10, 10, 200_001)
    # exp' = exp: still moving at both edges, so neither bound is attained on the grid.
    assert describe_range(x, np.exp(x))["range"] == "(4.54e-05, 2.203e+04)"
    # elu-like: 1 on x > 0 from a kink (attained at x = 0), exp(x) falling towards the left edge.
    elu = describe_range(x, np.where(x > 0, 1.0, np.exp(x)))
    assert (elu["range"], elu["x_at_max"], elu["x_at_min"]) == ("(4.54e-05, 1]", 0.0, -10.0)
    # float32 rounds tanh' to exactly 0 for |x| > 9: still an approach, not an attained 0.
    tanh = describe_range(x, (1 - np.tanh(x.astype(np.float32)) ** 2).astype(np.float32))
    assert (tanh["range"], tanh["min_attained"], tanh["x_at_max"]) == ("(0, 1]", False, 0.0)
    hard_sigmoid = describe_range(x, ((x > -3) & (x < 3)) / 6)
    assert hard_sigmoid["range"] == "{0, 0.1667}" and hard_sigmoid["min_attained"]


def test_ranges_on_jax_equal_those_on_the_test_backend():
    names = ["relu", "tanh", "sigmoid", "lecun", "gelu"]
    program = (
        "import json, sys\nfrom digitstudy.keras_setup import select_backend\nselect_backend('jax')\n"
        "from digitstudy.ex1.keras_activations import derivative_range\n"
        "print(json.dumps({n: derivative_range(n) for n in sys.argv[1:]}))"
    )
    done = subprocess.run([sys.executable, "-c", program, *names], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    on_jax = json.loads(done.stdout.strip().splitlines()[-1])
    for name in names:
        here = derivative_range(name)
        assert on_jax[name]["range"] == here["range"], name
        assert on_jax[name]["min"] == pytest.approx(here["min"], abs=1e-6)
        assert on_jax[name]["max"] == pytest.approx(here["max"], abs=1e-6)


def test_table_report_and_sentences_come_from_the_measured_ranges(tmp_path):
    from digitstudy.ex1.analysis import derivative_ranges_table
    from digitstudy.report import observations, tables

    path = tmp_path / "activation_ranges.csv"
    derivative_ranges_table(["sigmoid", "lecun", "relu", "gelu"], derivative, "some backend").to_csv(path, index=False)
    shown = tables.derivative_ranges(path)
    assert "on [-50, 50], 2,000,001 points, automatic differentiation on some backend" in shown.title
    assert shown.rows[0][:3] == ["sigmoid", "(0, 0.25]", "0 (approached as x → 50)"]
    assert shown.rows[0][3].startswith("0.25 at x = ")  # within a few grid steps of 0, by backend
    assert shown.rows[2] == ["relu", "{0, 1}", "0 at x = 0", "1 at x = 5e-05"]
    assert observations.ex1_derivative_ranges(pd.read_csv(path))[1:] == [
        "f' exceeds 1 somewhere for LeCun's scaled tanh (max 1.154) and GELU (max 1.129): there the activation "
        "can amplify the error signal.",
        "f' is at most 1 for ReLU: at best the activation passes the error signal on unchanged.",
        "f' stays below 1 for sigmoid (max 0.25): the activation shrinks the error signal at every layer.",
        "f' is negative somewhere for GELU (min -0.1289): there the error signal changes its sign.",
    ]


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_lecun_model_round_trip_gives_identical_predictions(tmp_path, suffix):
    from digitstudy.ex1.mlp import build_mlp

    keras.utils.set_random_seed(0)
    model = build_mlp(3, "lecun")
    x = np.random.default_rng(0).uniform(0, 1, (16, 784)).astype(np.float32)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), rtol=0, atol=0)
