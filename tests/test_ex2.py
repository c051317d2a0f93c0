"""Exercise 2: topology arithmetic, config errors, the validation split, best weights, figures."""

import keras
import numpy as np
import pytest

from digitstudy.config import ConfigError, check_config, load_schema
from digitstudy.ex2.model import build_cnn
from digitstudy.ex2.topology import CnnSpec, TopologyError, parameter_count, shape_trace
from digitstudy.settings import schema_defaults


def _spec(**changes):
    return CnnSpec.from_config({**schema_defaults("ex2"), **changes})


@pytest.mark.parametrize(
    "spec, shapes, parameters",
    [
        (
            _spec(),
            [(32, 32, 3), (32, 32, 9), (10, 10, 9), (10, 10, 36), (3, 3, 36), (3, 3, 49), (1, 1, 49), (49,), (10,)],
            19_629,
        ),
        (
            _spec(padding="valid", pool_strides=1),
            [
                (32, 32, 3),
                (30, 30, 9),
                (28, 28, 9),
                (26, 26, 36),
                (24, 24, 36),
                (22, 22, 49),
                (20, 20, 49),
                (19600,),
                (10,),
            ],
            252 + 2952 + 15925 + 196010,
        ),
        (
            _spec(padding="same", pool_strides=2),
            [(32, 32, 3), (32, 32, 9), (15, 15, 9), (15, 15, 36), (7, 7, 36), (7, 7, 49), (3, 3, 49), (441,), (10,)],
            252 + 2952 + 15925 + 4420,
        ),
        (
            _spec(padding="valid", pool_padding="same"),
            [(32, 32, 3), (30, 30, 9), (10, 10, 9), (8, 8, 36), (3, 3, 36), (1, 1, 49), (1, 1, 49), (49,), (10,)],
            19_629,
        ),
    ],
)
def test_shape_trace_and_parameters_match_keras(spec, shapes, parameters):
    trace = shape_trace(spec)
    assert [tuple(row["output_shape"]) for row in trace] == shapes
    assert parameter_count(spec) == parameters
    model = build_cnn(spec)
    assert model.count_params() == parameters
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == shapes[1:]


def test_literal_topology_fails_naming_the_keys():
    with pytest.raises(TopologyError) as error:
        shape_trace(_spec(padding="valid"))
    message = str(error.value)
    assert "conv_3" in message and "ex2.padding" in message and "ex2.pool_strides" in message


def test_collapsing_option_is_a_config_error():
    schema = load_schema()
    with pytest.raises(ConfigError, match="ex2.padding"):
        check_config({"ex2": {"padding": "valid"}}, schema)


def test_early_stopping_restores_best_weights_when_training_runs_to_the_limit():
    """The callback train_cnn uses: Keras restores the best epoch even when it never stopped early."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    callback.set_model(model)
    callback.on_train_begin()
    snapshots = []
    for epoch, val_loss in enumerate([0.9, 0.4, 0.6, 0.5]):  # best at epoch 2 (1-based), never stops early
        model.set_weights([w + epoch + 1 for w in model.get_weights()])
        snapshots.append(model.get_weights())
        callback.on_epoch_end(epoch, {"val_loss": val_loss})
    assert callback.stopped_epoch == 0  # never stopped early
    callback.on_train_end()
    assert callback.best_epoch + 1 == 2
    for restored, expected in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, expected)


def test_training_keeps_best_weights_on_a_tiny_run():
    from digitstudy.data.arrays import Split
    from digitstudy.ex2.train import CnnTrainSettings, train_cnn

    rng = np.random.default_rng(0)
    train = Split(rng.integers(0, 256, (120, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 120))
    test = Split(rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 30))
    settings = CnnTrainSettings.from_config(
        {**schema_defaults("ex2"), "max_epochs": 3, "patience": 10, "validation_size": 40}
    )
    result = train_cnn(train, test, _spec(), settings)
    assert result.metrics["epochs"] == 3 and not result.metrics["stopped_early"]
    best = int(result.history.val_loss.idxmin()) + 1
    assert result.metrics["best_epoch"] == best
    assert result.metrics["best_val_loss"] == pytest.approx(result.history.val_loss.min())
    assert result.confusion.sum() == 30 and len(result.metrics["per_class"]) == 10
