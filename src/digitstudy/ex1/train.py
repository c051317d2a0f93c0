"""Train one MLP of the depth x activation grid and measure it.

By default the hyperparameters are the assignment's (Glorot-uniform kernels, SGD lr 0.01, batch 32,
categorical cross-entropy, inputs in [0, 1]); the setup (grid.Setup) may name another Keras
initialiser and optimiser. Speed comes only from how Keras executes the same computation: many steps per graph call
(`steps_per_execution`), larger batches for *evaluation*, one progress line per epoch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from ..data.arrays import Split, unit_scale
from ..data.pipelines import EVAL_BATCH
from ..data.splits import split_training_set
from ..keras_setup import steps_per_execution
from ..settings import FromConfig
from .gradients import GradientRecorder
from .grid import Setup, run_columns
from .mlp import build_mlp


@dataclass(frozen=True)
class TrainSettings(FromConfig):
    units: int
    epochs: int
    batch_size: int
    validation_size: int
    split_seed: int
    train_subset: int | None
    gradient_epochs: tuple[int, ...]
    gradient_batch_size: int
    gradient_batch_seed: int
    steps_per_execution: int


@dataclass
class MnistInputs:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    gradient_x: np.ndarray
    gradient_y: np.ndarray
    gradient_indices: np.ndarray


def _inputs(split: Split, index=slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """uint8 28x28 images -> float32 784-vectors in [0, 1], and one-hot labels."""
    images = split.images[index]
    return unit_scale(images.reshape(len(images), -1)), np.eye(10, dtype=np.float32)[split.labels[index]]


def prepare_inputs(train: Split, test: Split, settings: TrainSettings) -> MnistInputs:
    train_idx, val_idx = split_training_set(
        len(train.labels), settings.train_subset, settings.validation_size, settings.split_seed
    )
    rng = np.random.default_rng(settings.gradient_batch_seed)
    grad_idx = np.sort(rng.choice(train_idx, settings.gradient_batch_size, replace=False))
    return MnistInputs(
        *_inputs(train, train_idx), *_inputs(train, val_idx), *_inputs(test), *_inputs(train, grad_idx), grad_idx
    )


@dataclass
class TrainResult:
    model: keras.Model
    history: pd.DataFrame
    metrics: dict
    gradients: pd.DataFrame


# Keras' class for each optimiser name that the config schema allows ($defs/optimizer).
OPTIMIZER_CLASSES = {
    "sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax", "adagrad": "Adagrad", "adadelta": "Adadelta",
    "adafactor": "Adafactor", "nadam": "Nadam", "rmsprop": "RMSprop", "ftrl": "Ftrl", "lion": "Lion", "lamb": "Lamb",
    "muon": "Muon",
}  # fmt: skip


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    if name not in OPTIMIZER_CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZER_CLASSES)}")
    return getattr(keras.optimizers, OPTIMIZER_CLASSES[name])(learning_rate=learning_rate)


def compile_mlp(model: keras.Model, setup: Setup, settings: TrainSettings) -> None:
    model.compile(
        optimizer=make_optimizer(setup.optimizer, setup.learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution(settings.steps_per_execution),
    )


def train_mlp(setup: Setup, depth: int, seed: int, data: MnistInputs, settings: TrainSettings) -> TrainResult:
    """Seeds must already be set (keras_setup.configure_keras) for a reproducible run."""
    keras.utils.set_random_seed(seed)
    model = build_mlp(depth, setup.activation, units=settings.units, kernel_initializer=setup.kernel_initializer)
    compile_mlp(model, setup, settings)
    recorder = GradientRecorder(data.gradient_x, data.gradient_y, list(settings.gradient_epochs))
    started = time.perf_counter()
    fit = model.fit(
        data.x_train,
        data.y_train,
        batch_size=settings.batch_size,
        epochs=settings.epochs,
        validation_data=(data.x_val, data.y_val),
        validation_batch_size=EVAL_BATCH,
        shuffle=True,
        callbacks=[recorder, keras.callbacks.TerminateOnNaN()],
        verbose=2,
    )
    train_seconds = time.perf_counter() - started
    history = pd.DataFrame(fit.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=EVAL_BATCH, verbose=0)
    diverged = not all(math.isfinite(v) for v in history["loss"]) or not math.isfinite(test_loss)
    metrics = {
        "activation": setup.activation,
        "kernel_initializer": setup.kernel_initializer,
        "optimizer": setup.optimizer,
        "learning_rate": setup.learning_rate,
        "depth": depth,
        "seed": seed,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "epochs": int(len(history)),
        "diverged": bool(diverged),
        "parameters": int(model.count_params()),
        "train_seconds": round(train_seconds, 3),
    }
    gradients = pd.DataFrame(recorder.rows)
    for column, value in reversed({**run_columns(setup), "depth": depth, "seed": seed}.items()):
        gradients.insert(0, column, value)
    return TrainResult(model, history, metrics, gradients)
