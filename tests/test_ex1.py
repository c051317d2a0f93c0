"""Exercise 1: the MLP builder, the gradient extractor, training reproducibility, analysis."""

import json
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

from digitstudy.data.arrays import Split
from digitstudy.ex1 import analysis
from digitstudy.ex1.gradients import layer_gradients, summarise
from digitstudy.ex1.mlp import build_mlp, dense_layers
from digitstudy.ex1.train import TrainSettings, prepare_inputs
from digitstudy.settings import schema_defaults
from tests.conftest import REPO


@pytest.mark.parametrize("depth, expected", [(5, 29_674), (20, 45_514), (40, 66_634)])
def test_parameter_counts_match_the_assignment(depth, expected):
    model = build_mlp(depth, "relu")
    assert model.count_params() == expected
    assert len(dense_layers(model)) == depth + 1
    assert model.output_shape == (None, 10)


def _numpy_gradients(model_or_weights, x, y, activation):
    """Plain backpropagation in float64, written independently of Keras' backends."""
    act = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    dact = {"tanh": lambda a: 1 - a**2, "sigmoid": lambda a: a * (1 - a)}[activation]
    if isinstance(model_or_weights, list):  # [kernel 1, bias 1, kernel 2, ...]
        flat = [np.asarray(w, np.float64) for w in model_or_weights]
        weights = list(zip(flat[::2], flat[1::2]))
    else:
        weights = [
            (layer.kernel.numpy().astype(np.float64), layer.bias.numpy().astype(np.float64))
            for layer in dense_layers(model_or_weights)
        ]
    activations = [x.astype(np.float64)]
    for W, b in weights[:-1]:
        activations.append(act(activations[-1] @ W + b))
    logits = activations[-1] @ weights[-1][0] + weights[-1][1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - y) / len(x)  # d(mean CE)/d(logits)
    grads = {}
    for index in range(len(weights), 0, -1):
        grads[(index, "kernel")] = activations[index - 1].T @ delta
        grads[(index, "bias")] = delta.sum(axis=0)
        if index > 1:
            delta = (delta @ weights[index - 1][0].T) * dact(activations[index - 1])
    return grads


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_gradient_extractor_agrees_with_numpy_backprop(activation):
    keras.utils.set_random_seed(3)
    model = build_mlp(3, activation, units=5, inputs=7)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (6, 7)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 6)]
    ours = layer_gradients(model, x, y)
    reference = _numpy_gradients(model, x, y, activation)
    assert set(ours) == set(reference)
    for key, value in reference.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-4, atol=1e-7, err_msg=str(key))
    rows = summarise(ours, epoch=0)
    kernel1 = next(r for r in rows if r["layer"] == 1 and r["param"] == "kernel")
    assert kernel1["max_abs"] == pytest.approx(np.abs(reference[(1, "kernel")]).max(), rel=1e-4)
    assert kernel1["max"] == pytest.approx(reference[(1, "kernel")].max(), rel=1e-4, abs=1e-9)


JAX_GRADIENTS = """
import sys
sys.path.insert(0, {src!r})
from digitstudy.keras_setup import configure_keras
configure_keras(1, 3, backend="jax")
import keras, numpy as np
from digitstudy.ex1.gradients import layer_gradients
from digitstudy.ex1.mlp import build_mlp, dense_layers
model = build_mlp(3, {activation!r}, units=5, inputs=7)
data = np.load({inputs!r})
grads = layer_gradients(model, data["x"], data["y"])
weights = [np.asarray(w) for layer in dense_layers(model) for w in (layer.kernel, layer.bias)]
np.savez({out!r}, *weights, **{{f"{{layer}}_{{param}}": g for (layer, param), g in grads.items()}})
print(keras.backend.backend())
"""


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_gradient_extractor_on_jax_agrees_with_numpy_backprop(tmp_path, activation):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (6, 7)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 6)]
    np.savez(tmp_path / "inputs.npz", x=x, y=y)
    program = JAX_GRADIENTS.format(
        src=str(REPO / "src"), activation=activation, inputs=str(tmp_path / "inputs.npz"), out=str(tmp_path / "out.npz")
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "jax"
    out = np.load(tmp_path / "out.npz")
    reference = _numpy_gradients([out[f"arr_{i}"] for i in range(8)], x, y, activation)
    assert sorted(f"{layer}_{param}" for layer, param in reference) == sorted(
        k for k in out.files if "_" in k and not k.startswith("arr")
    )
    for (layer, param), value in reference.items():
        np.testing.assert_allclose(out[f"{layer}_{param}"], value, rtol=1e-4, atol=1e-7, err_msg=f"{layer} {param}")


def test_untrained_deep_sigmoid_gradients_vanish():
    keras.utils.set_random_seed(0)
    model = build_mlp(40, "sigmoid")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (32, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    grads = layer_gradients(model, x, y)
    first = np.abs(grads[(1, "kernel")]).max()
    last = np.abs(grads[(41, "kernel")]).max()
    assert last / first > 1e10, f"only {np.log10(last / first):.1f} orders of magnitude"


def test_prepare_inputs_scales_and_picks_a_fixed_batch():
    rng = np.random.default_rng(0)
    train = Split(rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), rng.integers(0, 10, 200))
    test = Split(rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), rng.integers(0, 10, 30))
    settings = TrainSettings.from_config({**schema_defaults("ex1"), "validation_size": 50, "gradient_batch_size": 8})
    data = prepare_inputs(train, test, settings)
    assert data.x_train.shape == (150, 784) and data.x_val.shape == (50, 784)
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1
    assert data.gradient_x.shape == (8, 784) and data.y_test.shape == (30, 10)
    # The gradient batch is drawn from the training images, never from the validation ones.
    indices = data.gradient_indices
    assert len(set(indices)) == 8 and (np.diff(indices) > 0).all()
    np.testing.assert_allclose(data.gradient_x, train.images[indices].reshape(8, -1) / 255.0)
    kept = {tuple(row) for row in data.x_train}
    assert all(tuple(row) in kept for row in data.gradient_x)


RERUN = """
import json, sys
sys.path.insert(0, {src!r})
from digitstudy.keras_setup import configure_keras
configure_keras(1, 0, backend={backend!r})
import numpy as np
from digitstudy.data.arrays import Split
from digitstudy.ex1.grid import Setup
from digitstudy.ex1.train import TrainSettings, prepare_inputs, train_mlp
from digitstudy.settings import schema_defaults
rng = np.random.default_rng(0)
train = Split(rng.integers(0, 256, (600, 28, 28), dtype=np.uint8), rng.integers(0, 10, 600))
test = Split(rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), rng.integers(0, 10, 100))
overrides = {{"epochs": 2, "validation_size": 100, "gradient_epochs": [0, 2]}}
settings = TrainSettings.from_config({{**schema_defaults("ex1"), **overrides}})
result = train_mlp(Setup("tanh"), 3, 0, prepare_inputs(train, test, settings), settings)
metrics = {{k: v for k, v in result.metrics.items() if k != "train_seconds"}}
np.savez({out!r}, *[w for w in result.model.get_weights()])
print(json.dumps({{"metrics": metrics, "gradients": result.gradients.to_dict("list")}}))
"""


def _rerun(tmp_path, name, backend):
    out = tmp_path / f"{name}.npz"
    done = subprocess.run(
        [sys.executable, "-c", RERUN.format(src=str(REPO / "src"), out=str(out), backend=backend)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_rerun_with_same_seed_is_bit_identical(tmp_path, backend):
    first, first_weights = _rerun(tmp_path, "a", backend)
    second, second_weights = _rerun(tmp_path, "b", backend)
    assert first == second
    assert len(first_weights.files) == 8
    for key in first_weights.files:
        assert first_weights[key].tobytes() == second_weights[key].tobytes()


def test_observations_flag_collapsed_configurations():
    labels = np.repeat(np.arange(10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])  # MNIST test
    metrics = pd.DataFrame(
        [
            {
                "activation": "sigmoid",
                "depth": 40,
                "seed": s,
                "test_accuracy": 0.1135,
                "test_loss": 2.3,
                "epochs": 20,
                "diverged": False,
                "train_seconds": 1.0,
            }
            for s in range(3)
        ]
        + [
            {
                "activation": "relu",
                "depth": 5,
                "seed": s,
                "test_accuracy": 0.96 + s / 100,
                "test_loss": 0.1,
                "epochs": 20,
                "diverged": False,
                "train_seconds": 1.0,
            }
            for s in range(3)
        ]
    )
    gradients = pd.DataFrame(
        [
            {
                "activation": "sigmoid",
                "depth": 40,
                "seed": s,
                "epoch": 3,
                "layer": layer,
                "param": "kernel",
                "max_abs": 10.0 ** (layer - 41),
                "max": 0.0,
                "mean_abs": 0.0,
            }
            for s in range(3)
            for layer in (1, 41)
        ]
    )
    facts = analysis.observations(metrics, gradients, labels)
    assert facts["chance"]["majority_share"] == pytest.approx(0.1135)
    assert facts["collapsed"] == ["sigmoid-40"]
    assert facts["best"]["activation"] == "relu"
    sigmoid = next(c for c in facts["configurations"] if c["activation"] == "sigmoid")
    assert sigmoid["gradient_first_over_last"]["3"]["orders_of_magnitude_mean"] == pytest.approx(40)


def test_scores_table_mean_and_sample_spread_over_seeds():
    metrics = pd.DataFrame(
        {
            "activation": ["relu"] * 3,
            "depth": [5] * 3,
            "seed": [0, 1, 2],
            "test_accuracy": [0.90, 0.80, 0.70],
            "test_loss": [0.3, 0.5, 0.7],
            "diverged": [False, True, False],
            "train_seconds": [1.0, 2.0, 3.0],
        }
    )
    row = analysis.scores_table(metrics).iloc[0]
    assert row.seeds == 3 and row.accuracy_mean == pytest.approx(0.80) and row.accuracy_std == pytest.approx(0.10)
    assert row.loss_std == pytest.approx(0.20) and row.diverged_runs == 1
    one_seed = analysis.scores_table(metrics.iloc[:1]).iloc[0]
    assert one_seed.accuracy_std == 0.0  # no spread with one seed, rather than NaN


def test_lecun_vs_baseline_compares_first_layer_gradients_and_who_trains():
    labels = np.repeat(np.arange(10), 100)  # chance threshold 0.11
    metrics = pd.DataFrame(
        [
            {"activation": a, "depth": 20, "seed": s, "test_accuracy": acc}
            for a, acc in (("lecun", 0.9), ("tanh", 0.1))
            for s in range(2)
        ]
        + [{"activation": a, "depth": 5, "seed": s, "test_accuracy": 0.95} for a in ("lecun", "tanh") for s in range(2)]
    )
    gradients = pd.DataFrame(
        [
            {"activation": a, "depth": d, "seed": s, "epoch": 0, "param": "kernel", "layer": 1, "max_abs": g * (s + 1)}
            for a, g in (("lecun", 4e-2), ("tanh", 1e-3))
            for d in (5, 20)
            for s in range(2)
        ]
        + [{"activation": "lecun", "depth": 20, "seed": 0, "epoch": 1, "param": "kernel", "layer": 1, "max_abs": 99.0}]
    )
    result = analysis.lecun_vs_baseline(metrics, gradients, labels, baseline="tanh")
    assert result["baseline"] == "tanh" and result["chance_threshold"] == pytest.approx(0.11)
    deep = next(row for row in result["depths"] if row["depth"] == 20)
    # Geometric means over seeds (g and 2g), at initialisation only (the epoch-1 row is ignored).
    assert deep["first_layer_gradient_lecun"] == pytest.approx(4e-2 * np.sqrt(2))
    assert deep["first_layer_gradient_ratio"] == pytest.approx(40)
    assert deep["lecun_trains"] and not deep["tanh_trains"] and deep["lecun_trains_where_baseline_does_not"]
    shallow = next(row for row in result["depths"] if row["depth"] == 5)
    assert shallow["tanh_trains"] and not shallow["lecun_trains_where_baseline_does_not"]


def test_scores_chart_legend_covers_no_bar():
    from digitstudy.ex1.figures import scores_chart

    rows = [
        {
            "activation": a,
            "depth": d,
            "accuracy_mean": 0.97 if a != "sigmoid" or d == 5 else 0.11,
            "accuracy_std": 0.01,
            "seeds": 3,
        }
        for a in ("relu", "tanh", "sigmoid", "lecun")
        for d in (5, 20, 40)
    ]
    figure = scores_chart(pd.DataFrame(rows), 0.1135, {"dataset": "mnist", "source": "test"})
    figure.canvas.draw()
    axis = figure.axes[0]
    legend = axis.get_legend().get_window_extent()
    bars = [patch.get_window_extent() for patch in axis.patches]
    assert len(bars) == 12 and not any(legend.overlaps(bar) for bar in bars)
    assert figure.bbox.contains(legend.x1 - 1, legend.y0 + 1)  # and it is inside the figure
