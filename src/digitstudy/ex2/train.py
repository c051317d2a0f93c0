"""Train the SVHN CNN with early stopping on a seeded 7,326-image validation split.

Keras' EarlyStopping(restore_best_weights=True) restores only when stopping triggers; a run
that reaches the epoch limit would keep its last weights. BestWeights keeps the weights of the
lowest validation loss in every case.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from ..settings import settings_from_section
from ..data.arrays import Split
from ..data.pipelines import uint8_batches as batches
from ..data.splits import random_split as validation_indices
from .model import build_cnn
from .topology import CnnSpec

EVAL_BATCH = 1024


@dataclass(frozen=True)
class CnnTrainSettings:
    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 32
    max_epochs: int = 30
    patience: int = 5
    validation_size: int = 7326
    split_seed: int = 0
    seed: int = 0
    train_subset: int | None = None
    activation: str = "relu"
    steps_per_execution: int = 32

    @classmethod
    def from_config(cls, section: dict) -> "CnnTrainSettings":
        return settings_from_section(cls, section)


def scale(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 255.0


class BestWeights(keras.callbacks.Callback):
    """Remember the weights of the epoch with the lowest monitored value; restore them at the end."""

    def __init__(self, monitor: str = "val_loss"):
        super().__init__()
        self.monitor = monitor
        self.best = math.inf
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_epoch = float(value), epoch + 1
            self.best_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def make_optimizer(name: str, learning_rate: float):
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
    return optimizers[name](learning_rate=learning_rate)


@dataclass
class CnnResult:
    model: keras.Model
    history: pd.DataFrame
    metrics: dict
    confusion: np.ndarray


def train_cnn(train: Split, test: Split, spec: CnnSpec, settings: CnnTrainSettings) -> CnnResult:
    keras.utils.set_random_seed(settings.seed)
    count = len(train.labels) if settings.train_subset is None else min(settings.train_subset, len(train.labels))
    train_idx, val_idx = validation_indices(count, settings.validation_size, settings.split_seed)
    training = batches(train.images[train_idx], train.labels[train_idx], settings.batch_size, shuffle_seed=settings.seed)
    validation = batches(train.images[val_idx], train.labels[val_idx], EVAL_BATCH)
    model = build_cnn(spec, settings.activation)
    model.compile(
        optimizer=make_optimizer(settings.optimizer, settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=settings.steps_per_execution,
    )
    best = BestWeights()
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.patience)
    started = time.perf_counter()
    # The pipeline shuffles (seeded) each epoch; fit must not try to.
    fit = model.fit(
        training, epochs=settings.max_epochs, validation_data=validation, callbacks=[stopper, best], shuffle=False, verbose=2
    )
    train_seconds = time.perf_counter() - started
    history = pd.DataFrame(fit.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    testing = batches(test.images, test.labels, EVAL_BATCH)
    test_loss, test_accuracy = model.evaluate(testing, verbose=0)
    predicted = model.predict(testing, verbose=0).argmax(axis=1)
    precision, recall, _, support = precision_recall_fscore_support(
        test.labels, predicted, labels=list(range(10)), zero_division=0
    )
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "epochs": int(len(history)),
        "best_epoch": int(best.best_epoch),
        "best_val_loss": float(best.best),
        "stopped_early": bool(len(history) < settings.max_epochs),
        "train_images": int(len(train_idx)),
        "validation_images": int(len(val_idx)),
        "test_images": int(len(test.labels)),
        "parameters": int(model.count_params()),
        "per_class": [
            {"digit": d, "precision": float(precision[d]), "recall": float(recall[d]), "support": int(support[d])}
            for d in range(10)
        ],
        "train_seconds": round(train_seconds, 3),
    }
    return CnnResult(model, history, metrics, confusion_matrix(test.labels, predicted, labels=list(range(10))))
