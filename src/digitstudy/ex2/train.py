"""Train the SVHN CNN with early stopping on a seeded 7,326-image validation split."""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from ..data.arrays import Split
from ..data.pipelines import EVAL_BATCH, uint8_batches
from ..data.splits import split_training_set
from ..keras_setup import steps_per_execution
from ..settings import FromConfig
from .model import build_cnn
from .topology import CnnSpec


@dataclass(frozen=True)
class CnnTrainSettings(FromConfig):
    optimizer: str
    learning_rate: float
    batch_size: int
    max_epochs: int
    patience: int
    validation_size: int
    split_seed: int
    seed: int
    train_subset: int | None
    activation: str
    steps_per_execution: int


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
    train_idx, val_idx = split_training_set(
        len(train.labels), settings.train_subset, settings.validation_size, settings.split_seed
    )
    images, labels = train.images, train.labels
    training = uint8_batches(images[train_idx], labels[train_idx], settings.batch_size, shuffle_seed=settings.seed)
    validation = uint8_batches(images[val_idx], labels[val_idx], EVAL_BATCH)
    model = build_cnn(spec, settings.activation)
    model.compile(
        optimizer=make_optimizer(settings.optimizer, settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution(settings.steps_per_execution),
    )
    # Restores the best epoch's weights at the end of training, whether or not it stopped early.
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.patience, restore_best_weights=True)
    started = time.perf_counter()
    # The pipeline shuffles (seeded) each epoch; fit must not try to.
    fit = model.fit(
        training, epochs=settings.max_epochs, validation_data=validation, callbacks=[stopper], shuffle=False, verbose=2
    )
    train_seconds = time.perf_counter() - started
    history = pd.DataFrame(fit.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    testing = uint8_batches(test.images, test.labels, EVAL_BATCH)
    test_loss, test_accuracy = model.evaluate(testing, verbose=0)
    predicted = model.predict(testing, verbose=0).argmax(axis=1)
    precision, recall, _, support = precision_recall_fscore_support(
        test.labels, predicted, labels=list(range(10)), zero_division=0
    )
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "epochs": int(len(history)),
        "best_epoch": int(stopper.best_epoch) + 1,
        "best_val_loss": float(stopper.best),
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
